/**
 * The status watcher on a real broker (aedes in-process, with the cloud's accounts and ACLs):
 * a plant's agent may speak only of its own devices.
 */
import { connectAsync } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { agentStatusTopic, generateDeviceKeyPair } from '@qingliu/protocol';
import { waitFor } from '@qingliu/testkit';
import { createEmbeddedBroker } from '../broker/embedded-broker.js';
import type { EmbeddedBroker } from '../broker/embedded-broker.js';
import { hashPassword } from '../broker/passwords.js';
import { DeviceRegistry } from '../registry/device-registry.js';
import { createAgentStatusWatcher } from './agent-status-watcher.js';
import type { AgentStatusWatcher } from './agent-status-watcher.js';

const key = (): string => generateDeviceKeyPair().publicKeyHex;
const registry = new DeviceRegistry([
  { device: 'a-mon', enterprise: 'ent-a', outfall: 'out-a', publicKey: key(), sampleIntervalMs: 1000, agent: 'edge-a' },
  { device: 'a2-mon', enterprise: 'ent-a', outfall: 'out-a2', publicKey: key(), sampleIntervalMs: 1000, agent: 'edge-a2' },
  { device: 'b-mon', enterprise: 'ent-b', outfall: 'out-b', publicKey: key(), sampleIntervalMs: 1000, agent: 'edge-b' },
]);

describe('agent status watcher over the embedded broker', () => {
  let broker: EmbeddedBroker;
  let watcher: AgentStatusWatcher;
  let agentA: MqttClient;
  let agentB: MqttClient;

  beforeAll(async () => {
    broker = await createEmbeddedBroker({
      accounts: [
        { username: 'edge-a', passwordHash: hashPassword('pw-a'), role: 'edge', enterprise: 'ent-a' },
        { username: 'edge-b', passwordHash: hashPassword('pw-b'), role: 'edge', enterprise: 'ent-b' },
        { username: 'ingester', passwordHash: hashPassword('pw-i'), role: 'ingester' },
      ],
      registry,
      logger: pino({ level: 'silent' }),
    });
    watcher = await createAgentStatusWatcher({
      mqtt: { url: broker.url, clientId: 'ingester-status', username: 'ingester', password: 'pw-i' },
      registry,
      logger: pino({ level: 'silent' }),
    });
    agentA = await connectAsync(broker.url, { username: 'edge-a', password: 'pw-a', clientId: 'edge-a' });
    agentB = await connectAsync(broker.url, { username: 'edge-b', password: 'pw-b', clientId: 'edge-b' });
  });

  afterAll(async () => {
    await agentA?.endAsync(true);
    await agentB?.endAsync(true);
    await watcher?.close();
    await broker?.close();
  });

  const report = (agentId: string, enterprise: string, devices: Record<string, boolean>): string =>
    JSON.stringify({
      agentId,
      enterprise,
      online: true,
      ts: Date.now(),
      devices: Object.fromEntries(Object.entries(devices).map(([d, online]) => [d, online ? { online } : { online, error: 'no answer' }])),
    });

  it("takes an agent's report of its own device", async () => {
    await agentB.publishAsync(agentStatusTopic('ent-b', 'edge-b'), report('edge-b', 'ent-b', { 'b-mon': true }), { qos: 1, retain: true });
    await waitFor(() => watcher.deviceStatus('b-mon') !== undefined, 5000, "ent-b's report");
    expect(watcher.deviceStatus('b-mon')).toMatchObject({ online: true });
  });

  it("refuses a report that calls another plant's device offline, and another agent's of its own enterprise", async () => {
    const before = watcher.refused();
    await agentA.publishAsync(agentStatusTopic('ent-a', 'edge-a'), report('edge-a', 'ent-a', { 'a-mon': true, 'b-mon': false, 'a2-mon': false }), { qos: 1, retain: true });
    await waitFor(() => watcher.deviceStatus('a-mon') !== undefined, 5000, "ent-a's report");
    expect(watcher.refused()).toBe(before + 2);
    expect(watcher.deviceStatus('b-mon')).toMatchObject({ online: true }); // still ent-b's own word
    expect(watcher.deviceStatus('a2-mon')).toBeUndefined(); // its own agent has not reported
    expect(watcher.deviceStatus('a-mon')).toMatchObject({ online: true });
  });

  it("refuses, at the broker, a report on another agent's status topic", async () => {
    const before = broker.refusalsByReason()['publish-not-allowed'];
    const spoof = await connectAsync(broker.url, { username: 'edge-a', password: 'pw-a', clientId: 'edge-a', reconnectPeriod: 0 });
    spoof.on('error', () => undefined);
    spoof.publish(agentStatusTopic('ent-a', 'spoof'), report('spoof', 'ent-a', { 'a-mon': false }), { qos: 1, retain: true });
    spoof.publish(agentStatusTopic('ent-b', 'edge-b'), report('edge-b', 'ent-b', { 'b-mon': false }), { qos: 1, retain: true });
    await waitFor(() => broker.refusalsByReason()['publish-not-allowed'] >= before + 1, 5000, 'the refusal');
    await spoof.endAsync(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(watcher.deviceStatus('b-mon')).toMatchObject({ online: true });
    expect(watcher.deviceStatus('a-mon')).toMatchObject({ online: true });
  });
});
