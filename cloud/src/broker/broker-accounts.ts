import { ALERTS_TOPIC, ALL_READINGS_TOPIC, ALL_STATUS_TOPIC, QingliuError, parseAgentStatusTopic, parseReadingsTopic } from '@qingliu/protocol';
import type { DeviceRegistry } from '../registry/device-registry.js';

/**
 * Who may connect to the broker and what each may do:
 * - `edge`: an enterprise's edge agent; connects only as its own agent id,
 *   publishes only readings of devices enrolled for its enterprise and its own
 *   status (`qingliu/v1/<enterprise>/<agent id>/status`); subscribes to nothing.
 * - `ingester` and `bureau`: connect only with client ids under their own
 *   prefix; subscribe to readings and status (also as a shared subscription);
 *   the bureau also to detected alerts. The ingester publishes the alerts its
 *   detection finds; nothing else is published by either.
 *
 * A client id belongs to one account: whoever connects with another account's
 * client id would take over its session (and the messages queued for it), so
 * such a CONNECT is refused "not authorized".
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
  /** For `edge`: the agent id, its only MQTT client id and the status topic it reports on (default: the username). */
  agentId?: string | undefined;
  /** For `ingester` and `bureau`: it connects as `<prefix>` or `<prefix>-<anything>` (default: the username). */
  clientIdPrefix?: string | undefined;
}

export { BROKER_REFUSAL_REASONS } from '../ports/broker-refusals.js';
export type { BrokerRefusalReason } from '../ports/broker-refusals.js';

/** The client ids an account owns: an exact id (edge) or a prefix (ingester, bureau). */
export function clientIdRule(account: BrokerAccount): { exact: string } | { prefix: string } {
  return account.role === 'edge' ? { exact: account.agentId ?? account.username } : { prefix: account.clientIdPrefix ?? account.username };
}

export function mayConnectAs(account: BrokerAccount, clientId: string): boolean {
  const rule = clientIdRule(account);
  if ('exact' in rule) return clientId === rule.exact;
  return clientId === rule.prefix || clientId.startsWith(`${rule.prefix}-`);
}

/**
 * Refuses a set of accounts in which one client id could belong to two of them
 * (or two accounts share a username): the broker could not tell whose session it is.
 */
export function checkAccounts(accounts: readonly BrokerAccount[]): void {
  const names = new Set<string>();
  for (const account of accounts) {
    if (names.has(account.username)) throw new QingliuError('CONFIG_INVALID', `broker account ${account.username} is listed twice`);
    names.add(account.username);
    if (account.role === 'edge' && account.enterprise === undefined) throw new QingliuError('CONFIG_INVALID', `edge account ${account.username} names no enterprise`);
  }
  const rules = accounts.map((account) => ({ account, rule: clientIdRule(account) }));
  for (const [i, a] of rules.entries()) {
    for (const b of rules.slice(i + 1)) {
      const idA = 'exact' in a.rule ? a.rule.exact : a.rule.prefix;
      const idB = 'exact' in b.rule ? b.rule.exact : b.rule.prefix;
      // An id or prefix that another account's rule also admits.
      if (mayConnectAs(a.account, idB) || mayConnectAs(b.account, idA)) {
        throw new QingliuError('CONFIG_INVALID', `broker accounts ${a.account.username} and ${b.account.username} would share client id ${mayConnectAs(a.account, idB) ? idB : idA}`);
      }
    }
  }
}

export function mayPublish(account: BrokerAccount, topic: string, registry: DeviceRegistry): boolean {
  if (account.role === 'ingester') return topic === ALERTS_TOPIC;
  if (account.role !== 'edge') return false;
  const status = parseAgentStatusTopic(topic);
  if (status) return status.enterprise === account.enterprise && status.agentId === (account.agentId ?? account.username);
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
