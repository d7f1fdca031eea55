
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { pino } from 'pino';
import { generateDeviceKeyPair, readingsTopic } from '@qingliu/protocol';
import { DeviceRegistry } from '../registry/device-registry.js';
import { createEmbeddedBroker } from './embedded-broker.js';
import type { EmbeddedBrokerParameters } from './embedded-broker.js';
import { hashPassword } from './passwords.js';
import { useTempDir } from '@qingliu/testkit';

const registry = new DeviceRegistry([
  { device: 'dev-a', enterprise: 'ent-a', outfall: 'out-a', publicKey: generateDeviceKeyPair().publicKeyHex, sampleIntervalMs: 1000 },
]);
const base: EmbeddedBrokerParameters = {
  accounts: [
    { username: 'edge-a', passwordHash: hashPassword('pw-a'), role: 'edge', enterprise: 'ent-a' },
    ...[0, 1, 2].map((i) => ({ username: `edge-fw-${i}`, passwordHash: hashPassword('pw-a'), role: 'edge' as const, enterprise: 'ent-a' })),
    { username: 'ingester', passwordHash: hashPassword('pw-i'), role: 'ingester' },
  ],
  registry,
  logger: pino({ level: 'silent' }),
};

/** Messages published while the ingester is away, then a broker restart: how many reach the ingester? */
async function deliveredAcrossRestart(persistenceDir?: string): Promise<string[]> {
  const options = persistenceDir ? { ...base, persistenceDir } : base;
  let broker = await createEmbeddedBroker(options);
  const { port, url } = broker;
  const ingest = { username: 'ingester', password: 'pw-i', clientId: 'ingester-1', clean: false, reconnectPeriod: 0 };
  const away = await connectAsync(url, ingest);
  await away.subscribeAsync('qingliu/v1/+/+/readings', { qos: 1 });
  await away.endAsync();
  const edge = await connectAsync(url, { username: 'edge-a', password: 'pw-a', clientId: 'edge-a', reconnectPeriod: 0 });
  for (let i = 0; i < 5; i += 1) await edge.publishAsync(readingsTopic('ent-a', 'dev-a'), `m${i}`, { qos: 1 });
  await edge.endAsync();
  await broker.close();

  broker = await createEmbeddedBroker({ ...options, port });
  const received: string[] = [];
  const back = await connectAsync(url, ingest);
  back.on('message', (_topic, payload) => received.push(payload.toString()));
  await new Promise((resolve) => setTimeout(resolve, 500));
  await back.endAsync();
  await broker.close();
  return received;
}

describe('embedded broker persistence', () => {
  const dir = useTempDir('qingliu-aedes');

  it('with a persistence folder, delivers QoS 1 messages queued for an away ingester after a broker restart', async () => {
    expect(await deliveredAcrossRestart(join(dir(), 'broker'))).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  it('in memory only, loses them on restart (why the service sets a folder)', async () => {
    expect(await deliveredAcrossRestart()).toEqual([]);
  });
});

describe('embedded broker forwarding', () => {
  it('delivers every QoS 2 publish of concurrent edges to a persistent-session ingester, at QoS 1', async () => {
    const broker = await createEmbeddedBroker(base);
    const ingester = await connectAsync(broker.url, { username: 'ingester', password: 'pw-i', clientId: 'ingester-fw', clean: false });
    const received = new Set<string>();
    const qos = new Set<number>();
    ingester.on('message', (_topic, payload, packet) => {
      received.add(payload.toString());
      qos.add(packet.qos);
    });
    await ingester.subscribeAsync('qingliu/v1/+/+/readings', { qos: 1 });
    const edges = await Promise.all([0, 1, 2].map((i) => connectAsync(broker.url, { username: `edge-fw-${i}`, password: 'pw-a', clientId: `edge-fw-${i}` })));
    const rounds = 200;
    // Each round, three publishes at once (their packet ids collide across clients, as agents' do).
    for (let k = 0; k < rounds; k += 1) {
      await Promise.all(edges.map((edge, i) => edge.publishAsync(readingsTopic('ent-a', 'dev-a'), `e${i}-m${k}`, { qos: 2 })));
    }
    const deadline = Date.now() + 5000;
    while (received.size < rounds * edges.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    for (const client of [...edges, ingester]) await client.endAsync(true);
    await broker.close();
    expect(received.size).toBe(rounds * edges.length);
    expect([...qos]).toEqual([1]);
  }, 20_000);
});
