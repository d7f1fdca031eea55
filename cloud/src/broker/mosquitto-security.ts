import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { ALERTS_TOPIC, ALL_READINGS_TOPIC, ALL_STATUS_TOPIC, QingliuError, agentStatusTopic, readingsTopic } from '@qingliu/protocol';
import type { DeviceRegistry } from '../registry/device-registry.js';
import type { BrokerAccount } from './broker-accounts.js';
import { checkAccounts, clientIdRule } from './broker-accounts.js';

/** Where Debian's `mosquitto` package installs the dynamic security plugin (Mosquitto 2.0). */
export const DYNSEC_PLUGIN_PATH = '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so';

/** PBKDF2-SHA512 rounds for the generated password hashes (Mosquitto's own default is 101). */
const PBKDF2_ITERATIONS = 10_000;
/** Mosquitto 2.0's dynamic security plugin keeps 12-byte salts and 64-byte hashes; other lengths are skipped at load. */
const SALT_BYTES = 12;
const HASH_BYTES = 64;

interface DynsecAcl {
  acltype: 'publishClientSend' | 'publishClientReceive' | 'subscribePattern';
  topic: string;
  allow: boolean;
}

/** The file Mosquitto's dynamic security plugin loads (`plugin_opt_config_file`). */
export interface DynsecConfig {
  defaultACLAccess: { publishClientSend: false; publishClientReceive: false; subscribe: false; unsubscribe: true };
  clients: Array<{ username: string; clientid?: string; password: string; salt: string; iterations: number; roles: Array<{ rolename: string }> }>;
  groups: [];
  roles: Array<{ rolename: string; acls: DynsecAcl[] }>;
}

export interface MosquittoSecurityParameters {
  accounts: readonly BrokerAccount[];
  /** Each account's password (username -> password): Mosquitto hashes differently from the embedded broker, so the hashes are made here. */
  passwords: Readonly<Record<string, string>>;
  /** The enrolment: an edge account may publish the readings of its enterprise's enrolled devices (or of its `devices`). */
  registry: DeviceRegistry;
}

const allow = (acltype: DynsecAcl['acltype'], topic: string): DynsecAcl => ({ acltype, topic, allow: true });

/** Topic rules of one account, the same as broker-accounts.ts's mayPublish / maySubscribe. */
function aclsOf(account: BrokerAccount, registry: DeviceRegistry): DynsecAcl[] {
  if (account.role === 'edge') {
    const enterprise = account.enterprise!;
    const devices = registry.list().filter((d) => d.enterprise === enterprise && (!account.devices || account.devices.includes(d.device)));
    return [
      ...devices.map((d) => allow('publishClientSend', readingsTopic(enterprise, d.device))),
      allow('publishClientSend', agentStatusTopic(enterprise, account.agentId ?? account.username)),
    ];
  }
  const reads = [ALL_READINGS_TOPIC, ALL_STATUS_TOPIC, ...(account.role === 'bureau' ? [ALERTS_TOPIC] : [])];
  return [
    ...reads.flatMap((topic) => [allow('subscribePattern', topic), allow('subscribePattern', `$share/+/${topic}`), allow('publishClientReceive', topic)]),
    ...(account.role === 'ingester' ? [allow('publishClientSend', ALERTS_TOPIC)] : []),
  ];
}

/**
 * Mosquitto 2.0's dynamic security config for the same accounts and rules as
 * the embedded broker: passwords, topic ACLs, and client ids bound to accounts.
 *
 * The plugin binds at most one client id to a username. Edge accounts are
 * bound to their agent id and bureau accounts to their prefix; ingester
 * accounts (the cloud's own processes, which open several connections:
 * `<prefix>-status`, `<prefix>-alerts`, `<prefix>-<n>`) are left unbound. No
 * edge or bureau account can then connect with an ingester's client id, which
 * is what protects the ingester's session. A bureau needing two connections
 * gets two accounts.
 */
export function mosquittoDynsecConfig(params: MosquittoSecurityParameters): DynsecConfig {
  checkAccounts(params.accounts);
  const clients: DynsecConfig['clients'] = [];
  const roles: DynsecConfig['roles'] = [];
  for (const account of params.accounts) {
    const password = params.passwords[account.username];
    if (password === undefined) throw new QingliuError('CONFIG_INVALID', `no password given for broker account ${account.username}`);
    const salt = randomBytes(SALT_BYTES);
    const rule = clientIdRule(account);
    const clientid = 'exact' in rule ? rule.exact : account.role === 'bureau' ? rule.prefix : undefined;
    const rolename = `qingliu-${account.username}`;
    clients.push({
      username: account.username,
      ...(clientid === undefined ? {} : { clientid }),
      password: pbkdf2Sync(password, salt, PBKDF2_ITERATIONS, HASH_BYTES, 'sha512').toString('base64'),
      salt: salt.toString('base64'),
      iterations: PBKDF2_ITERATIONS,
      roles: [{ rolename }],
    });
    roles.push({ rolename, acls: aclsOf(account, params.registry) });
  }
  return {
    defaultACLAccess: { publishClientSend: false, publishClientReceive: false, subscribe: false, unsubscribe: true },
    clients,
    groups: [],
    roles,
  };
}

/** mosquitto.conf lines that load the plugin with the generated file (global: before any listener's own settings). */
export function mosquittoDynsecConfLines(configFile: string, pluginPath = DYNSEC_PLUGIN_PATH): string[] {
  return [`plugin ${pluginPath}`, `plugin_opt_config_file ${configFile}`, 'allow_anonymous false'];
}
