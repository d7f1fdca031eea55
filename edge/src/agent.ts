import type { KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { UniqueMessageIdProvider, connect } from 'mqtt';
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { QingliuError, agentStatusTopic, isQingliuError } from '@qingliu/protocol';
import type { Reading } from '@qingliu/protocol';
import { createAgentStatusPublisher, offlineStatus } from './agent-status.js';
import type { AgentStatusMessage } from './agent-status.js';
import { createBatchPublisher } from './batch-publisher.js';
import type { EdgeConfig } from './config.js';
import { loadOrCreateDeviceKey } from './device-keys.js';
import { createDevicePoller } from './modbus-poller.js';
import type { PolledSample } from './modbus-poller.js';
import { MqttSessionStore } from './mqtt-session-store.js';
import type { Outbox } from './outbox.js';
import { SequenceAllocator } from './sequence-allocator.js';

export interface EdgeAgentParameters {
  config: EdgeConfig;
  logger: Logger;
  /** Where readings wait for the broker (configured-outbox.ts opens the one the config names). */
  outbox: Outbox;
  /** Where the MQTT session (batches in flight) is kept: beside a disk outbox; in memory when left out. */
  sessionDir?: string | undefined;
  /** Most readings per signed batch. */
  maxBatch?: number;
  /** How long start-up waits for the first broker connection, milliseconds; polling starts either way. Default 5000. */
  connectWaitMs?: number;
  /** Called with each group of readings the broker acknowledged. */
  onPublished?: (readings: readonly Reading[]) => void;
  /** Called with each group of readings once it is held in the outbox (durably, for the disk outbox). */
  onQueued?: (readings: readonly Reading[]) => void;
}

export interface EdgeAgentStats {
  polled: number;
  published: number;
  waiting: number;
  /** Readings refused because the outbox was full (their seqs are a gap the cloud sees). */
  refused: number;
}

export interface EdgeAgent {
  /** Device id -> raw Ed25519 public key (hex), for enrolment. */
  publicKeys: ReadonlyMap<string, string>;
  stats(): EdgeAgentStats;
  /** What the agent last published (or would publish) on its status topic. */
  status(): AgentStatusMessage;
  /** Stops polling, sends what waits (up to `drainMs`), disconnects. */
  close(options?: { drainMs?: number }): Promise<void>;
}

/** Loads (or makes, on first start) the signing key of every configured device. */
export async function loadDeviceKeys(config: EdgeConfig): Promise<Map<string, { key: KeyObject; publicKeyHex: string }>> {
  const keys = new Map<string, { key: KeyObject; publicKeyHex: string }>();
  for (const device of config.devices) {
    const { privateKey, publicKeyHex } = await loadOrCreateDeviceKey(config.keyDir, device.id);
    keys.set(device.id, { key: privateKey, publicKeyHex });
  }
  return keys;
}

/**
 * The edge agent: polls every configured device, turns samples into numbered
 * readings in the outbox, publishes them as signed batches, and keeps its
 * status (which devices answer) retained on its status topic.
 */
export async function startEdgeAgent(params: EdgeAgentParameters): Promise<EdgeAgent> {
  const { config, logger } = params;
  const keys = await loadDeviceKeys(config);
  const sequences = new Map<string, SequenceAllocator>();
  for (const device of config.devices) {
    sequences.set(device.id, await SequenceAllocator.open(join(config.keyDir, `${device.id}.seq`)));
  }
  const { outbox } = params;
  // Batches in flight to the broker live beside the disk outbox (and die with a memory one).
  const session = await MqttSessionStore.open(params.sessionDir);
  if (session.inFlight().length > 0) logger.info({ inFlight: session.inFlight() }, 'batches in flight at the last stop go out again first, under their packet ids');

  const client = connectBroker(config, session, logger);
  const status = createAgentStatusPublisher({
    client,
    agentId: config.agentId,
    enterprise: config.enterprise,
    devices: config.devices.map((d) => d.id),
    outbox: () => outbox.usage(),
    logger,
  });
  client.on('connect', () => status.publish());

  const publisher = createBatchPublisher({
    client,
    session,
    outbox,
    enterprise: config.enterprise,
    keys: new Map([...keys].map(([device, { key }]) => [device, key])),
    logger,
    maxBatch: params.maxBatch ?? 500,
    qos: config.mqtt.qos,
    ...(params.onPublished ? { onPublished: params.onPublished } : {}),
  });

  let polled = 0;
  let full = false;
  // Samples of one device are numbered and queued in poll order.
  const queues = new Map<string, Promise<void>>();
  const enqueue = (deviceId: string, samples: readonly PolledSample[]): void => {
    const previous = queues.get(deviceId) ?? Promise.resolve();
    const next = previous.then(async () => {
      const seqs = await sequences.get(deviceId)!.take(samples.length);
      const readings: Reading[] = samples.map((s, i) => ({
        enterprise: config.enterprise,
        outfall: s.outfall,
        device: s.device,
        pollutant: s.pollutant,
        ...(s.channel === undefined ? {} : { channel: s.channel }),
        value: s.value,
        unit: s.unit,
        ts: s.ts,
        seq: seqs[i]!,
        flag: s.flag,
      }));
      try {
        await outbox.append(readings);
      } catch (error) {
        // Full (by policy) or the disk failed: either way these readings cannot be held; they are counted.
        if (!isQingliuError(error, 'OUTBOX_FULL') && !isQingliuError(error, 'STORE_UNAVAILABLE')) throw error;
        if (!full) {
          full = true;
          const why = error.code === 'OUTBOX_FULL' ? 'outbox full' : 'outbox cannot write';
          logger.error({ err: error, device: deviceId, usage: outbox.usage() }, `${why}: new readings are dropped and counted until it takes them again`);
          status.publish();
        }
        return;
      }
      if (full) {
        full = false;
        logger.warn({ usage: outbox.usage() }, 'outbox takes readings again');
        status.publish();
      }
      polled += readings.length;
      logger.debug({ device: deviceId, firstSeq: readings[0]!.seq, lastSeq: readings[readings.length - 1]!.seq }, 'readings queued');
      params.onQueued?.(readings);
      publisher.kick();
    });
    queues.set(
      deviceId,
      next.catch((error: unknown) => logger.error({ err: error, device: deviceId }, 'could not queue readings')),
    );
  };

  const pollers = config.devices.map((device) =>
    createDevicePoller({
      device,
      logger: logger.child({ device: device.id }),
      onSamples: (samples) => enqueue(device.id, samples),
      onStatus: (s) => status.device(device.id, s),
    }),
  );
  for (const poller of pollers) poller.start();
  // Readings left from before a restart go out first.
  publisher.kick();
  logger.info({ devices: config.devices.length, waiting: outbox.size(), nodeFlags: process.execArgv }, 'edge agent started');

  let closing: Promise<void> | undefined;
  const agent: EdgeAgent = {
    publicKeys: new Map([...keys].map(([device, { publicKeyHex }]) => [device, publicKeyHex])),
    stats: () => ({ polled, published: publisher.published(), waiting: outbox.size(), refused: outbox.usage().refused }),
    status: () => status.current(),
    close(options = {}) {
      closing ??= (async () => {
        await Promise.all(pollers.map((poller) => poller.close()));
        await Promise.all(queues.values());
        const drained = await publisher.drain(options.drainMs ?? 5000);
        if (!drained) logger.warn({ waiting: outbox.size() }, 'stopping with readings still in the outbox');
        await publisher.stop();
        await status.goodbye(1000);
        // A graceful end waits for the broker; without one it would wait for ever.
        await client.endAsync(!drained || !client.connected);
        await outbox.close();
      })();
      return closing;
    },
  };

  // Polling has started; wait (bounded) for the broker so that a refused account stops the start.
  const refusal = await firstConnection(client, params.connectWaitMs ?? 5000);
  if (refusal) {
    await agent.close({ drainMs: 0 });
    throw new QingliuError('BROKER_UNAVAILABLE', `broker ${config.mqtt.url} refused agent ${config.agentId}: ${refusal.message}`, {
      retryable: false,
      cause: refusal,
    });
  }
  if (!client.connected) logger.warn({ url: config.mqtt.url }, 'broker not reachable yet; readings wait in the outbox');
  return agent;
}

/**
 * A client with the agent's last will (`online: false`, retained) that keeps
 * trying to reach the broker every second, on a session the broker keeps
 * (not clean), so that a batch sent again after a restart is known by its id.
 */
function connectBroker(config: EdgeConfig, session: MqttSessionStore, logger: Logger): MqttClient {
  const client = connect(config.mqtt.url, {
    clientId: config.agentId,
    clean: false,
    outgoingStore: session,
    // Ids of the batches sent again after a restart are taken before new ones are handed out.
    messageIdProvider: new UniqueMessageIdProvider(),
    username: config.mqtt.username,
    password: config.mqtt.password,
    protocolVersion: config.mqtt.protocolVersion,
    reconnectPeriod: 1000,
    connectTimeout: 5000,
    will: {
      topic: agentStatusTopic(config.enterprise, config.agentId),
      payload: Buffer.from(JSON.stringify(offlineStatus(config.agentId, config.enterprise))),
      qos: 1,
      retain: true,
    },
  });
  client.on('error', (error) => logger.warn({ err: error }, 'mqtt error'));
  client.on('offline', () => logger.warn({ url: config.mqtt.url }, 'broker unreachable; readings wait in the outbox'));
  client.on('reconnect', () => logger.debug('reconnecting to the broker'));
  return client;
}

/**
 * Waits up to `waitMs` for the first connection. Resolves with the error
 * when the broker refuses the account (CONNACK 4/5 in MQTT 3.1.1, 134/135 in
 * MQTT 5), else with undefined (connected, or not reachable yet).
 */
function firstConnection(client: MqttClient, waitMs: number): Promise<Error | undefined> {
  if (client.connected) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(undefined), waitMs);
    const onConnect = (): void => done(undefined);
    const onError = (error: Error & { code?: unknown }): void => {
      if ([4, 5, 134, 135].includes(Number(error.code))) done(error);
    };
    function done(error: Error | undefined): void {
      clearTimeout(timer);
      client.off('connect', onConnect);
      client.off('error', onError);
      resolve(error);
    }
    client.on('connect', onConnect);
    client.on('error', onError);
  });
}
