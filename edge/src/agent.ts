import type { KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import type { Logger } from 'pino';
import type { Reading } from '@qingliu/protocol';
import { createBatchPublisher } from './batch-publisher.js';
import type { EdgeConfig } from './config.js';
import { loadOrCreateDeviceKey } from './device-keys.js';
import { createMemoryOutbox } from './memory-outbox.js';
import { createDevicePoller } from './modbus-poller.js';
import type { PolledSample } from './modbus-poller.js';
import type { Outbox } from './outbox.js';
import { SequenceAllocator } from './sequence-allocator.js';

export interface EdgeAgentParameters {
  config: EdgeConfig;
  logger: Logger;
  /** Defaults to an in-memory outbox. */
  outbox?: Outbox;
  /** Most readings per signed batch. */
  maxBatch?: number;
  /** Called with each group of readings the broker acknowledged. */
  onPublished?: (readings: readonly Reading[]) => void;
}

export interface EdgeAgentStats {
  polled: number;
  published: number;
  waiting: number;
}

export interface EdgeAgent {
  /** Device id -> raw Ed25519 public key (hex), for enrolment. */
  publicKeys: ReadonlyMap<string, string>;
  stats(): EdgeAgentStats;
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
 * readings in the outbox, and publishes them as signed batches.
 */
export async function startEdgeAgent(params: EdgeAgentParameters): Promise<EdgeAgent> {
  const { config, logger } = params;
  const outbox = params.outbox ?? createMemoryOutbox();
  const keys = await loadDeviceKeys(config);
  const sequences = new Map<string, SequenceAllocator>();
  for (const device of config.devices) {
    sequences.set(device.id, await SequenceAllocator.open(join(config.keyDir, `${device.id}.seq`)));
  }

  const client = await connectAsync(config.mqtt.url, {
    clientId: config.agentId,
    username: config.mqtt.username,
    password: config.mqtt.password,
    reconnectPeriod: 1000,
  });
  client.on('error', (error) => logger.warn({ err: error }, 'mqtt error'));
  const publisher = createBatchPublisher({
    client,
    outbox,
    enterprise: config.enterprise,
    keys: new Map([...keys].map(([device, { key }]) => [device, key])),
    logger,
    maxBatch: params.maxBatch ?? 500,
    ...(params.onPublished ? { onPublished: params.onPublished } : {}),
  });

  let polled = 0;
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
        value: s.value,
        unit: s.unit,
        ts: s.ts,
        seq: seqs[i]!,
        flag: s.flag,
      }));
      await outbox.append(readings);
      polled += readings.length;
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
    }),
  );
  for (const poller of pollers) poller.start();
  logger.info({ devices: config.devices.length }, 'edge agent started');

  return {
    publicKeys: new Map([...keys].map(([device, { publicKeyHex }]) => [device, publicKeyHex])),
    stats: () => ({ polled, published: publisher.published(), waiting: outbox.size() }),
    async close(options = {}) {
      await Promise.all(pollers.map((poller) => poller.close()));
      await Promise.all(queues.values());
      const drained = await publisher.drain(options.drainMs ?? 5000);
      if (!drained) logger.warn({ waiting: outbox.size() }, 'stopping with readings still in the outbox');
      await publisher.stop();
      await client.endAsync(true);
      await outbox.close();
    },
  };
}
