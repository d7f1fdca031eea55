import mqtt from 'mqtt';
import { ALERTS_TOPIC } from '@qingliu/protocol';
import type { PipelineAlert } from './alert-record.js';
import { canonicalEvidence } from './alert-record.js';

export interface MqttAlertPublisher {
  publish(alert: PipelineAlert): Promise<void>;
  close(): Promise<void>;
}

/**
 * Publishes detected alerts on `ALERTS_TOPIC` (QoS 1, JSON with the evidence)
 * for the bureau's own systems, over the ingester's broker account. The
 * client reconnects by itself; a publish while the broker is down waits in
 * the client's queue and fails after `timeoutMs`, which the detection service
 * logs and counts (the alert stays stored and on the API).
 */
export async function createMqttAlertPublisher(params: { url: string; username: string; password: string; clientId: string; timeoutMs?: number }): Promise<MqttAlertPublisher> {
  const client = await mqtt.connectAsync(params.url, { username: params.username, password: params.password, clientId: params.clientId, reconnectPeriod: 1000, clean: true });
  const timeoutMs = params.timeoutMs ?? 10_000;
  return {
    async publish(a) {
      const body = JSON.stringify({ ...a, evidence: JSON.parse(canonicalEvidence(a.evidence)) as unknown });
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          client.publishAsync(ALERTS_TOPIC, body, { qos: 1 }),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no PUBACK for alert ${a.id} within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await client.endAsync();
    },
  };
}
