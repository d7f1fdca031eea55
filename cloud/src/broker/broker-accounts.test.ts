import { ALERTS_TOPIC, generateDeviceKeyPair, readingsTopic } from '@qingliu/protocol';
import { DeviceRegistry } from '../registry/device-registry.js';
import { checkAccounts, mayConnectAs, mayPublish, maySubscribe } from './broker-accounts.js';
import type { BrokerAccount } from './broker-accounts.js';

const registry = new DeviceRegistry(
  [['d1', 'ent-a'], ['d2', 'ent-a'], ['d3', 'ent-b']].map(([device, enterprise]) => ({
    device: device!, enterprise: enterprise!, outfall: `o-${device}`, publicKey: generateDeviceKeyPair().publicKeyHex, sampleIntervalMs: 1000,
  })),
);
const edge = (extra: Partial<BrokerAccount> = {}): BrokerAccount => ({ username: 'e', passwordHash: '', role: 'edge', enterprise: 'ent-a', ...extra });

describe('broker ACLs', () => {
  it("lets an edge agent publish readings only for its enterprise's enrolled devices, and its status", () => {
    expect(mayPublish(edge(), readingsTopic('ent-a', 'd1'), registry)).toBe(true);
    expect(mayPublish(edge(), readingsTopic('ent-a', 'd3'), registry)).toBe(false); // d3 is ent-b's
    expect(mayPublish(edge(), readingsTopic('ent-b', 'd3'), registry)).toBe(false);
    expect(mayPublish(edge(), readingsTopic('ent-a', 'd9'), registry)).toBe(false); // not enrolled
    expect(mayPublish(edge(), 'qingliu/v1/ent-a/e/status', registry)).toBe(true);
    expect(mayPublish(edge({ agentId: 'agent-1' }), 'qingliu/v1/ent-a/agent-1/status', registry)).toBe(true);
    expect(mayPublish(edge(), 'qingliu/v1/ent-b/e/status', registry)).toBe(false);
    // Another agent's status, even of its own enterprise: it could report that agent's devices offline.
    expect(mayPublish(edge(), 'qingliu/v1/ent-a/agent-1/status', registry)).toBe(false);
    expect(mayPublish(edge(), 'qingliu/v1/ent-a/spoof/status', registry)).toBe(false);
    expect(mayPublish(edge(), 'qingliu/v1/ent-a/d1/other', registry)).toBe(false);
  });

  it('narrows an agent to its own devices when the account lists them', () => {
    expect(mayPublish(edge({ devices: ['d2'] }), readingsTopic('ent-a', 'd2'), registry)).toBe(true);
    expect(mayPublish(edge({ devices: ['d2'] }), readingsTopic('ent-a', 'd1'), registry)).toBe(false);
  });

  it('lets only the ingester publish detected alerts, and only the bureau read them', () => {
    expect(mayPublish({ ...edge(), role: 'ingester' }, ALERTS_TOPIC, registry)).toBe(true);
    expect(mayPublish({ ...edge(), role: 'bureau' }, ALERTS_TOPIC, registry)).toBe(false);
    expect(mayPublish(edge(), ALERTS_TOPIC, registry)).toBe(false);
    expect(maySubscribe({ ...edge(), role: 'bureau' }, ALERTS_TOPIC)).toBe(true);
    expect(maySubscribe({ ...edge(), role: 'ingester' }, ALERTS_TOPIC)).toBe(false);
    expect(maySubscribe(edge(), ALERTS_TOPIC)).toBe(false);
  });

  it('lets the ingester and the bureau read readings and status, and publish no readings; an edge reads nothing', () => {
    for (const role of ['ingester', 'bureau'] as const) {
      const account = { ...edge(), role };
      expect(maySubscribe(account, 'qingliu/v1/+/+/readings')).toBe(true);
      expect(maySubscribe(account, '$share/ingest/qingliu/v1/+/+/readings')).toBe(true);
      expect(maySubscribe(account, 'qingliu/v1/+/+/status')).toBe(true);
      expect(maySubscribe(account, '#')).toBe(false);
      expect(mayPublish(account, readingsTopic('ent-a', 'd1'), registry)).toBe(false);
    }
    expect(maySubscribe(edge(), 'qingliu/v1/ent-a/d1/readings')).toBe(false);
  });

  it('binds client ids to accounts: an edge only its agent id, the ingester and the bureau only their prefix', () => {
    expect(mayConnectAs(edge(), 'e')).toBe(true);
    expect(mayConnectAs(edge(), 'ingester-1')).toBe(false);
    expect(mayConnectAs(edge(), '')).toBe(false);
    expect(mayConnectAs(edge({ agentId: 'agent-7' }), 'agent-7')).toBe(true);
    expect(mayConnectAs(edge({ agentId: 'agent-7' }), 'e')).toBe(false);
    const ingester: BrokerAccount = { username: 'ingester', passwordHash: '', role: 'ingester' };
    expect(mayConnectAs(ingester, 'ingester')).toBe(true);
    expect(mayConnectAs(ingester, 'ingester-1-status')).toBe(true);
    expect(mayConnectAs(ingester, 'ingesterX')).toBe(false);
    expect(mayConnectAs({ ...ingester, clientIdPrefix: 'cloud' }, 'cloud-2')).toBe(true);
    expect(mayConnectAs({ ...ingester, clientIdPrefix: 'cloud' }, 'ingester-1')).toBe(false);
  });

  it('refuses accounts that would share a client id', () => {
    const ingester: BrokerAccount = { username: 'ingester', passwordHash: '', role: 'ingester' };
    expect(() => checkAccounts([edge(), ingester])).not.toThrow();
    expect(() => checkAccounts([edge({ agentId: 'ingester-evil' }), ingester])).toThrow(/share client id ingester-evil/);
    expect(() => checkAccounts([ingester, { ...ingester, username: 'bureau', role: 'bureau', clientIdPrefix: 'ingester-1' }])).toThrow(/share client id/);
    expect(() => checkAccounts([edge(), edge({ username: 'f', agentId: 'e' })])).toThrow(/share client id e/);
    expect(() => checkAccounts([edge(), edge()])).toThrow(/listed twice/);
  });
});
