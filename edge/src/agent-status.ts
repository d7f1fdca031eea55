import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { agentStatusTopic } from '@qingliu/protocol';
import type { DeviceStatus } from './modbus-poller.js';
import type { OutboxUsage } from './outbox.js';

/**
 * What an agent publishes, retained, on `qingliu/v1/<enterprise>/<agentId>/status`:
 *
 *   {"agentId","enterprise","online":true,"ts",
 *    "devices":{"<device>":{"online":true,"since":ts[,"failedPoints":[...]]} | {"online":false,"since":ts,"error":"..."}},
 *    "outbox":{"readings","bytes","maxBytes","refused"}}
 *
 * Its MQTT last will (and its goodbye on a clean stop) is
 * `{"agentId","enterprise","online":false,"ts"}`, also retained.
 */
export interface AgentStatusMessage {
  agentId: string;
  enterprise: string;
  online: boolean;
  /** When the message was made, milliseconds since the epoch. */
  ts: number;
  devices?: Record<string, DeviceStatus>;
  outbox?: OutboxUsage;
  /** Why the agent is offline, on a clean stop. */
  reason?: string;
}

export function offlineStatus(agentId: string, enterprise: string, reason?: string): AgentStatusMessage {
  return { agentId, enterprise, online: false, ts: Date.now(), ...(reason === undefined ? {} : { reason }) };
}

export interface AgentStatusPublisher {
  /** Records a device's change and publishes the new status. */
  device(device: string, status: DeviceStatus): void;
  /** Publishes the whole status again (after a (re)connect, or when the outbox changes state). */
  publish(): void;
  current(): AgentStatusMessage;
  /** Publishes the clean-stop status and waits (up to `timeoutMs`) for the broker to take it. */
  goodbye(timeoutMs: number): Promise<void>;
}

export function createAgentStatusPublisher(params: {
  client: MqttClient;
  agentId: string;
  enterprise: string;
  devices: readonly string[];
  outbox: () => OutboxUsage;
  logger: Logger;
}): AgentStatusPublisher {
  const { client, agentId, enterprise, logger } = params;
  const topic = agentStatusTopic(enterprise, agentId);
  const started = Date.now();
  const devices: Record<string, DeviceStatus> = Object.fromEntries(
    params.devices.map((d) => [d, { online: false, since: started, error: 'not polled yet' }]),
  );
  const current = (): AgentStatusMessage => ({
    agentId,
    enterprise,
    online: true,
    ts: Date.now(),
    devices: structuredClone(devices),
    outbox: params.outbox(),
  });
  const publish = (): void => {
    // While offline, mqtt.js keeps the message and sends it on reconnect.
    client.publish(topic, JSON.stringify(current()), { qos: 1, retain: true }, (error) => {
      if (error) logger.debug({ err: error }, 'status not published');
    });
  };
  return {
    device(device, status) {
      const before = devices[device];
      devices[device] = status;
      // A change of the failed points alone is logged by the poller; here, a device coming and going.
      if (before?.online !== status.online || before.since !== status.since) {
        if (status.online) logger.info({ device }, `device ${device} online`);
        else logger.warn({ device, error: status.error }, `device ${device} offline`);
      }
      publish();
    },
    publish,
    current,
    async goodbye(timeoutMs) {
      if (!client.connected) return;
      const sent = client.publishAsync(topic, JSON.stringify(offlineStatus(agentId, enterprise, 'stopped')), { qos: 1, retain: true });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([sent.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
    },
  };
}
