import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { Aedes } from 'aedes';
import aedesPersistenceLevel from 'aedes-persistence-level';
import { Level } from 'level';
import type { AuthenticateError, Client } from 'aedes';
import type { Logger } from 'pino';
import type { DeviceRegistry } from '../registry/device-registry.js';
import type { BrokerAccount, BrokerRefusalReason } from './broker-accounts.js';
import { BROKER_REFUSAL_REASONS, checkAccounts, mayConnectAs, mayPublish, maySubscribe } from './broker-accounts.js';
import { verifyPassword } from './passwords.js';

export interface EmbeddedBrokerParameters {
  /** Listen address; loopback by default. */
  host?: string;
  /** TCP port; 0 picks a free one. */
  port?: number;
  accounts: readonly BrokerAccount[];
  registry: DeviceRegistry;
  logger: Logger;
  /**
   * Folder for the broker's LevelDB persistence: sessions, subscriptions and
   * QoS 1 messages in flight survive a broker restart. In memory if left out.
   */
  persistenceDir?: string;
}

export interface EmbeddedBroker {
  url: string;
  port: number;
  /** Counts of refused connections, publishes and subscriptions. */
  refusals(): { connect: number; publish: number; subscribe: number };
  /** The same refusals by reason (every reason present, 0 when none). */
  refusalsByReason(): Record<BrokerRefusalReason, number>;
  close(): Promise<void>;
}

const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

/**
 * aedes in-process, with per-account authentication, client ids bound to
 * accounts (broker-accounts.ts) and topic ACLs. A refused CONNECT gets CONNACK
 * 4 (bad username or password) or 5 (not authorized: another account's client
 * id); a refused SUBSCRIBE gets SUBACK 0x80 and the connection stays. Every
 * refusal is logged with the username and counted by reason.
 * Resolves once it is listening.
 */
export async function createEmbeddedBroker(params: EmbeddedBrokerParameters): Promise<EmbeddedBroker> {
  const { registry, logger } = params;
  checkAccounts(params.accounts);
  const accounts = new Map(params.accounts.map((a) => [a.username, a]));
  const byClient = new WeakMap<Client, BrokerAccount>();
  const refused = { connect: 0, publish: 0, subscribe: 0 };
  const byReason = Object.fromEntries(BROKER_REFUSAL_REASONS.map((r) => [r, 0])) as Record<BrokerRefusalReason, number>;
  const refuse = (kind: keyof typeof refused, reason: BrokerRefusalReason, fields: Record<string, unknown>, message: string): void => {
    refused[kind] += 1;
    byReason[reason] += 1;
    logger.warn({ ...fields, reason }, message);
  };

  const db = params.persistenceDir ? new Level<string, unknown>(params.persistenceDir) : undefined;
  const broker = await Aedes.createBroker({
    ...(db ? { persistence: aedesPersistenceLevel(db) } : {}),
    authenticate(client, username, password, done) {
      const account = username === undefined ? undefined : accounts.get(username);
      if (!account || !password || !verifyPassword(password.toString('utf8'), account.passwordHash)) {
        refuse('connect', 'bad-credentials', { clientId: client.id, username }, 'mqtt connection refused: bad username or password');
        const error = new Error('bad username or password') as AuthenticateError;
        error.returnCode = BAD_USERNAME_OR_PASSWORD;
        done(error, false);
        return;
      }
      // Checked before aedes looks the client id up: the session it names (and its queued messages) stays its owner's.
      if (!mayConnectAs(account, client.id)) {
        refuse('connect', 'client-id-not-owned', { clientId: client.id, username }, 'mqtt connection refused: client id belongs to another account');
        const error = new Error('not authorized') as AuthenticateError;
        error.returnCode = NOT_AUTHORIZED;
        done(error, false);
        return;
      }
      byClient.set(client, account);
      done(null, true);
    },
    authorizePublish(client, packet, done) {
      const account = client ? byClient.get(client) : undefined;
      if (!account || !mayPublish(account, packet.topic, registry)) {
        refuse('publish', 'publish-not-allowed', { clientId: client?.id, username: account?.username, topic: packet.topic }, 'mqtt publish refused');
        done(new Error(`not allowed to publish on ${packet.topic}`));
        return;
      }
      done(null);
    },
    // aedes 1.2 forwards a QoS 2 publish at QoS 2 even to a QoS 1 wildcard subscription, and loses
    // about a third of QoS 2 deliveries to persistent (clean: false) sessions under concurrent
    // publishers (embedded-broker.test.ts). The subscribers here (ingesters, status watchers) take
    // QoS 1 and drop copies by (device, seq): forward at most QoS 1. The edge still publishes at QoS 2
    // to the broker, so each batch reaches the broker once.
    authorizeForward(_client, packet) {
      return packet.qos > 1 ? { ...packet, qos: 1 } : packet;
    },
    authorizeSubscribe(client, subscription, done) {
      const account = byClient.get(client);
      if (!account || !maySubscribe(account, subscription.topic)) {
        refuse('subscribe', 'subscribe-not-allowed', { clientId: client.id, username: account?.username, topic: subscription.topic }, 'mqtt subscription refused');
        // No subscription: SUBACK 0x80 for this topic, the connection stays.
        done(null, null);
        return;
      }
      done(null, subscription);
    },
  });

  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(params.port ?? 0, params.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  logger.info({ address, port }, 'embedded broker listening');

  return {
    url: `mqtt://${address}:${port}`,
    port,
    refusals: () => ({ ...refused }),
    refusalsByReason: () => ({ ...byReason }),
    async close() {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db?.close();
    },
  };
}
