import type { KeyObject } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { BATCH_VERSION, readingsTopic, signBatch } from '@qingliu/protocol';
import type { Reading } from '@qingliu/protocol';
import type { Outbox } from './outbox.js';

export interface BatchPublisherParameters {
  client: MqttClient;
  outbox: Outbox;
  enterprise: string;
  keys: ReadonlyMap<string, KeyObject>;
  logger: Logger;
  /** Most readings in one signed batch (one MQTT message). */
  maxBatch: number;
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
 * QoS 1, one batch in flight per device (so order holds), removed from the
 * outbox only after the broker's PUBACK.
 */
export function createBatchPublisher(params: BatchPublisherParameters): BatchPublisher {
  const { client, outbox, enterprise, keys, logger, maxBatch } = params;
  const sending = new Set<string>();
  const active = new Set<Promise<void>>();
  let published = 0;
  let stopped = false;
  // MQTT 5: PUBACKs with reason 16 ("no matching subscribers"), by message id. mqtt.js treats
  // them as success and hands the caller only the publish packet, so they are caught here.
  const NO_MATCHING_SUBSCRIBERS = 16;
  const unmatched = new Set<number>();
  client.on('packetreceive', (packet) => {
    if (packet.cmd === 'puback' && packet.reasonCode === NO_MATCHING_SUBSCRIBERS && packet.messageId !== undefined) unmatched.add(packet.messageId);
  });

  async function sendDevice(device: string): Promise<void> {
    const key = keys.get(device);
    if (!key) {
      logger.error({ device }, 'no signing key for device; readings stay in the outbox');
      return;
    }
    for (;;) {
      if (stopped) return;
      const readings = await outbox.peek(device, maxBatch);
      if (readings.length === 0) return;
      const batch = signBatch({ v: BATCH_VERSION, enterprise, device, readings }, key);
      try {
        const sent = await client.publishAsync(readingsTopic(enterprise, device), JSON.stringify(batch), { qos: 1 });
        if (sent?.messageId !== undefined && unmatched.delete(sent.messageId)) {
          throw new Error('the broker has no subscriber for it (PUBACK reason 16)');
        }
      } catch (error) {
        logger.warn({ err: error, device, readings: readings.length }, 'publish failed; batch stays in the outbox');
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      await outbox.ack(device, readings[readings.length - 1]!.seq);
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
