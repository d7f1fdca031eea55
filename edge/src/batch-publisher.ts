import type { KeyObject } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { BATCH_VERSION, readingsTopic, signBatch } from '@qingliu/protocol';
import type { Reading } from '@qingliu/protocol';
import type { MqttSessionStore } from './mqtt-session-store.js';
import type { Outbox } from './outbox.js';

export interface BatchPublisherParameters {
  /** A client whose `outgoingStore` is `session`. */
  client: MqttClient;
  /** The client's outgoing session: batches in flight, released into the outbox's acks. */
  session: MqttSessionStore;
  outbox: Outbox;
  enterprise: string;
  keys: ReadonlyMap<string, KeyObject>;
  logger: Logger;
  /** Most readings in one signed batch (one MQTT message). */
  maxBatch: number;
  /**
   * 2 (default): exactly once at the broker. 1: at least once (a batch in flight at a kill -9 is
   * sent again; the cloud drops the copy by device and seq), and over MQTT 5 the broker says when
   * it routed a batch to nobody (PUBACK reason 16), which it cannot say for QoS 2.
   */
  qos?: 1 | 2;
  onPublished?: (readings: readonly Reading[]) => void;
}

export interface BatchPublisher {
  /** Starts sending what waits in the outbox, if not already sending. */
  kick(): void;
  /** Resolves when the outbox is empty or `timeoutMs` passed; true if empty. */
  drain(timeoutMs: number): Promise<boolean>;
  published(): number;
  stop(): Promise<void>;
}

/**
 * Sends the outbox device by device: one signed batch per MQTT message,
 * QoS 2 (exactly once at the broker, with the session store: see
 * mqtt-session-store.ts), one batch in flight per device (so order holds),
 * removed from the outbox only when the broker has it (PUBREC, then PUBCOMP).
 */
export function createBatchPublisher(params: BatchPublisherParameters): BatchPublisher {
  const { client, session, outbox, enterprise, keys, logger, maxBatch } = params;
  const sending = new Set<string>();
  const active = new Set<Promise<void>>();
  let published = 0;
  let stopped = false;
  const qos = params.qos ?? 2;
  // MQTT 5: PUBACKs with reason 16 ("no matching subscribers"), by message id. mqtt.js treats
  // them as success and hands the caller only the publish packet, so they are caught here:
  // the broker routed the batch to nobody, so it stays in the outbox to be sent again.
  // (A PUBREC may carry the same reason, but brokers route QoS 2 only at PUBREL: Mosquitto says 0.)
  const NO_MATCHING_SUBSCRIBERS = 16;
  const unmatched = new Set<number>();
  client.on('packetreceive', (packet) => {
    const ack = packet.cmd === 'puback' || packet.cmd === 'pubrec';
    if (ack && packet.reasonCode === NO_MATCHING_SUBSCRIBERS && packet.messageId !== undefined) unmatched.add(packet.messageId);
  });
  session.onReleased = async ({ device, throughSeq }, messageId) => {
    if (!unmatched.has(messageId)) await outbox.ack(device, throughSeq);
  };

  async function sendDevice(device: string): Promise<void> {
    const key = keys.get(device);
    if (!key) {
      logger.error({ device }, 'no signing key for device; readings stay in the outbox');
      return;
    }
    for (;;) {
      // A batch left in flight by the last run goes first (mqtt.js sends it again on connect).
      await session.settled(device);
      if (stopped) return;
      const readings = await outbox.peek(device, maxBatch);
      if (readings.length === 0) return;
      const batch = signBatch({ v: BATCH_VERSION, enterprise, device, readings }, key);
      const topic = readingsTopic(enterprise, device);
      const throughSeq = readings[readings.length - 1]!.seq;
      try {
        session.expect(topic, { device, throughSeq });
        const sent = await client.publishAsync(topic, JSON.stringify(batch), { qos });
        if (sent?.messageId !== undefined && unmatched.delete(sent.messageId)) {
          throw new Error(`the broker has no subscriber for it (${qos === 1 ? 'PUBACK' : 'PUBREC'} reason 16)`);
        }
      } catch (error) {
        logger.warn({ err: error, device, readings: readings.length }, 'publish failed; batch stays in the outbox');
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      // At QoS 2 the session store's release acknowledged them already (and this is a no-op).
      await outbox.ack(device, throughSeq);
      published += readings.length;
      params.onPublished?.(readings);
    }
  }

  function kick(): void {
    for (const device of outbox.devices()) {
      if (sending.has(device) || stopped) continue;
      sending.add(device);
      const run = sendDevice(device)
        .catch((error: unknown) => logger.error({ err: error, device }, 'sender failed'))
        .finally(() => {
          sending.delete(device);
          active.delete(run);
          if (outbox.devices().includes(device)) kick();
        });
      active.add(run);
    }
  }

  return {
    kick,
    async drain(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      kick();
      while (outbox.size() > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return outbox.size() === 0;
    },
    published: () => published,
    async stop() {
      stopped = true;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(active), new Promise((resolve) => (timer = setTimeout(resolve, 2000)))]);
      clearTimeout(timer);
    },
  };
}
