import { ALERTS_TOPIC, ALL_READINGS_TOPIC, ALL_STATUS_TOPIC, parseAgentStatusTopic, parseReadingsTopic } from '@qingliu/protocol';
import type { DeviceRegistry } from '../registry/device-registry.js';

/**
 * Who may connect to the broker and what each may do:
 * - `edge`: an enterprise's edge agent; publishes only readings of devices
 *   enrolled for its enterprise and status under its enterprise; subscribes
 *   to nothing.
 * - `ingester` and `bureau`: subscribe to readings and status (also as a
 *   shared subscription); the bureau also to detected alerts. The ingester
 *   publishes the alerts its detection finds; nothing else is published by either.
 */
export type BrokerRole = 'edge' | 'ingester' | 'bureau';

export interface BrokerAccount {
  username: string;
  /** From hashPassword(); the password itself is never stored. */
  passwordHash: string;
  role: BrokerRole;
  /** Required for `edge`. */
  enterprise?: string | undefined;
  /** For `edge`: the devices this agent may publish for; all enrolled devices of its enterprise if left out. */
  devices?: readonly string[] | undefined;
}

export function mayPublish(account: BrokerAccount, topic: string, registry: DeviceRegistry): boolean {
  if (account.role === 'ingester') return topic === ALERTS_TOPIC;
  if (account.role !== 'edge') return false;
  const status = parseAgentStatusTopic(topic);
  if (status) return status.enterprise === account.enterprise;
  const route = parseReadingsTopic(topic);
  if (!route || route.enterprise !== account.enterprise) return false;
  if (account.devices && !account.devices.includes(route.device)) return false;
  return registry.get(route.device)?.enterprise === account.enterprise;
}

export function maySubscribe(account: BrokerAccount, topic: string): boolean {
  if (account.role === 'edge') return false;
  const plain = topic.startsWith('$share/') ? topic.split('/').slice(2).join('/') : topic;
  if (plain === ALERTS_TOPIC) return account.role === 'bureau';
  return (
    plain === ALL_READINGS_TOPIC ||
    plain === ALL_STATUS_TOPIC ||
    parseReadingsTopic(plain) !== undefined ||
    parseAgentStatusTopic(plain) !== undefined
  );
}
