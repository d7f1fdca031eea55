import { connect } from 'mqtt';
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { ALL_STATUS_TOPIC, parseAgentStatusTopic } from '@qingliu/protocol';
import type { AgentStatusSource, ReportedDeviceStatus } from '../ports/agent-status.js';
import type { DeviceRegistry } from '../registry/device-registry.js';
import { keepSubscribed } from './mqtt-subscription.js';

export type { AgentStatusSource, ReportedDeviceStatus };

export interface AgentStatusWatcher extends AgentStatusSource {
  /** Device entries refused from reports: devices not enrolled for the reporting agent (or unknown). */
  refused(): number;
  close(): Promise<void>;
}

export interface AgentStatusWatcherParameters {
  mqtt: { url: string; clientId: string; username?: string; password?: string; ca?: string | Buffer };
  /** The enrolment: a report may speak only of its agent's own devices. */
  registry: Pick<DeviceRegistry, 'get'>;
  logger: Logger;
}

interface AgentReport {
  agentId?: unknown;
  enterprise?: unknown;
  online: boolean;
  ts: number;
  reason?: string;
  devices?: Record<string, { online: boolean; since?: number; error?: string }>;
}

/**
 * Follows every edge agent's retained status topic (`qingliu/v1/+/+/status`, edge/src/agent-status.ts):
 * the agent's own online flag (its last will turns it off) and each device's. A device of an
 * agent that is offline is offline. Resolves once subscribed, so the retained reports are on their way.
 *
 * A report is trusted only for the agent's own devices: the broker lets an agent publish only on
 * its own status topic (broker-accounts.ts), and here a device named in it counts only if it is
 * enrolled for that topic's enterprise (and, where the enrolment names one, that agent). A plant
 * cannot report another plant's outfall offline; the refusal is logged and counted.
 */
export async function createAgentStatusWatcher(params: AgentStatusWatcherParameters): Promise<AgentStatusWatcher> {
  const { logger } = params;
  /** agent topic -> its last report */
  const reports = new Map<string, AgentReport>();
  /** device -> the agent topic that last named it */
  const agentOf = new Map<string, string>();
  const client: MqttClient = connect(params.mqtt.url, {
    clientId: params.mqtt.clientId,
    clean: true,
    reconnectPeriod: 1000,
    ...(params.mqtt.username === undefined ? {} : { username: params.mqtt.username }),
    ...(params.mqtt.password === undefined ? {} : { password: params.mqtt.password }),
    ...(params.mqtt.ca === undefined ? {} : { ca: params.mqtt.ca }),
  });
  let refused = 0;
  client.on('message', (topic, payload) => {
    const sender = parseAgentStatusTopic(topic);
    if (!sender) return;
    try {
      const report = JSON.parse(payload.toString('utf8')) as AgentReport;
      if (typeof report.online !== 'boolean' || typeof report.ts !== 'number') throw new Error('no online flag or ts');
      if ((report.agentId !== undefined && report.agentId !== sender.agentId) || (report.enterprise !== undefined && report.enterprise !== sender.enterprise)) {
        throw new Error(`the report names agent ${String(report.agentId)} of ${String(report.enterprise)}, not its topic's`);
      }
      const own: NonNullable<AgentReport['devices']> = Object.create(null) as NonNullable<AgentReport['devices']>;
      for (const [device, status] of Object.entries(report.devices ?? {})) {
        const enrolled = params.registry.get(device);
        if (enrolled?.enterprise === sender.enterprise && (enrolled.agent === undefined || enrolled.agent === sender.agentId)) {
          own[device] = status;
        } else {
          refused += 1;
          logger.warn({ topic, device, enterprise: sender.enterprise, agent: sender.agentId }, 'agent status refused for a device that is not its own');
        }
      }
      reports.set(topic, { ...report, devices: own });
      for (const device of Object.keys(own)) agentOf.set(device, topic);
    } catch (error) {
      logger.warn({ topic, err: error }, 'unreadable agent status');
    }
  });
  await keepSubscribed(client, params.mqtt.url, ALL_STATUS_TOPIC, logger);

  return {
    deviceStatus(device) {
      const topic = agentOf.get(device);
      const report = topic === undefined ? undefined : reports.get(topic);
      if (!report) return undefined;
      const own = report.devices?.[device];
      if (!report.online) return { online: false, reportedAt: report.ts, error: `edge agent offline${report.reason ? ` (${report.reason})` : ''}` };
      if (!own) return { online: false, reportedAt: report.ts, error: 'not in its agent’s report' };
      return { online: own.online, reportedAt: report.ts, ...(own.error ? { error: own.error } : {}) };
    },
    refused: () => refused,
    async close() {
      await client.endAsync();
    },
  };
}
