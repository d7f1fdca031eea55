/**
 * Needs the Debian `influxd` binary (scripts/install.sh installs it); the broker is aedes in-process.
 */
import { connectAsync } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { BATCH_VERSION, generateDeviceKeyPair, readingsTopic, signBatch } from '@qingliu/protocol';
import type { Reading } from '@qingliu/protocol';
import { startInfluxd } from '@qingliu/testkit';
import type { InfluxdServer } from '@qingliu/testkit';
import { createEmbeddedBroker } from '../broker/embedded-broker.js';
import type { EmbeddedBroker } from '../broker/embedded-broker.js';
import { hashPassword } from '../broker/passwords.js';
import type { ReadingStore } from '../ports/reading-store.js';
import { DeviceRegistry } from '../registry/device-registry.js';
import { createInfluxStore } from '../store/influx-store.js';
import { createIngester } from './ingester.js';
import type { Ingester } from './ingester.js';

const logger = pino({ level: 'silent' });
const keyA = generateDeviceKeyPair();
const registry = new DeviceRegistry([
  { device: 'dev-a', enterprise: 'ent-a', outfall: 'out-1', publicKey: keyA.publicKeyHex, sampleIntervalMs: 1000 },
  { device: 'dev-b', enterprise: 'ent-b', outfall: 'out-2', publicKey: generateDeviceKeyPair().publicKeyHex, sampleIntervalMs: 1000 },
]);
const accounts = [
  { username: 'edge-a', passwordHash: hashPassword('pw-a'), role: 'edge' as const, enterprise: 'ent-a' },
  { username: 'ingester', passwordHash: hashPassword('pw-i'), role: 'ingester' as const },
];

let nextSeq = 0;
const t0 = Date.UTC(2026, 10, 24);
function readings(n: number): Reading[] {
  return Array.from({ length: n }, () => {
    const seq = nextSeq++;
    return { enterprise: 'ent-a', outfall: 'out-1', device: 'dev-a', pollutant: 'w01018', value: 30 + (seq % 7) / 4, unit: 'mg/L', ts: t0 + seq * 1000, seq, flag: 'N' };
  });
}
const payload = (rs: Reading[]): string =>
  JSON.stringify(signBatch({ v: BATCH_VERSION, enterprise: 'ent-a', device: 'dev-a', readings: rs }, keyA.privateKeyPem));

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('ingester with aedes and InfluxDB', () => {
  let influxd: InfluxdServer;
  let broker: EmbeddedBroker;
  let store: ReadingStore;
  let ingester: Ingester;
  let edge: MqttClient;

  beforeAll(async () => {
    influxd = await startInfluxd();
    broker = await createEmbeddedBroker({ accounts, registry, logger });
    store = await createInfluxStore({ url: influxd.url, database: 'qingliu', timeoutMs: 2000 });
    ingester = await createIngester({
      mqtt: { url: broker.url, username: 'ingester', password: 'pw-i', clientId: 'ingester-test' },
      registry,
      store,
      settlementPeriodMs: 1e12, // one batch for the whole test
      logger,
      retryMinMs: 50,
      retryMaxMs: 200,
    });
    edge = await connectAsync(broker.url, { username: 'edge-a', password: 'pw-a', clientId: 'edge-a', reconnectPeriod: 200 });
  });

  afterAll(async () => {
    await edge?.endAsync(true);
    await ingester?.close();
    await broker?.close();
    await influxd?.stop();
  });

  const stored = async (): Promise<StoredCount> => {
    const rows = await store.readBatch(ingester.currentBatch());
    return { rows: rows.length, seqs: new Set(rows.map((r) => r.seq)).size };
  };
  type StoredCount = { rows: number; seqs: number };

  it('stores signed readings once, drops a replayed batch as duplicates, rejects a forged one', async () => {
    const first = readings(50);
    await edge.publishAsync(readingsTopic('ent-a', 'dev-a'), payload(first), { qos: 1 });
    await edge.publishAsync(readingsTopic('ent-a', 'dev-a'), payload(first), { qos: 1 });
    const forged = JSON.parse(payload(readings(5))) as { readings: Reading[] };
    forged.readings[0]!.value = 0;
    await edge.publishAsync(readingsTopic('ent-a', 'dev-a'), JSON.stringify(forged), { qos: 1 });
    await waitFor(() => ingester.stats().messages >= 3, 5000, 'three messages');
    const stats = ingester.stats();
    expect(stats.stored).toBe(50);
    expect(stats.duplicates).toBe(50);
    expect(stats.rejected).toEqual({ SIGNATURE_INVALID: 1 });
    expect(await stored()).toEqual({ rows: 50, seqs: 50 });
  });

  it('refuses a client with a wrong password and a publish on another enterprise\'s topic', async () => {
    await expect(
      connectAsync(broker.url, { username: 'edge-a', password: 'nope', reconnectPeriod: 0, connectTimeout: 2000 }),
    ).rejects.toThrow();
    const before = broker.refusals().publish;
    const intruder = await connectAsync(broker.url, { username: 'edge-a', password: 'pw-a', clientId: 'intruder', reconnectPeriod: 0 });
    intruder.on('error', () => undefined);
    intruder.publish(readingsTopic('ent-b', 'dev-b'), payload(readings(1)), { qos: 1 });
    await waitFor(() => broker.refusals().publish > before, 5000, 'the refusal');
    await intruder.endAsync(true);
    expect(ingester.stats().messages).toBe(3);
  });

  it('holds messages unacknowledged while InfluxDB is down and stores them all once it is back', async () => {
    const { dataDir, port } = influxd;
    const before = ingester.stats().stored;
    await influxd.stop({ keepData: true });
    // The broker acknowledges the edge; the ingester does not acknowledge the broker until stored.
    await edge.publishAsync(readingsTopic('ent-a', 'dev-a'), payload(readings(20)), { qos: 1 });
    await edge.publishAsync(readingsTopic('ent-a', 'dev-a'), payload(readings(10)), { qos: 1 });
    await waitFor(() => ingester.stats().storeRetries >= 2, 5000, 'store retries');
    expect(ingester.stats().stored).toBe(before);
    influxd = await startInfluxd({ dataDir, port });
    await waitFor(() => ingester.stats().stored === before + 30, 10_000, 'the held readings');
    expect(await stored()).toEqual({ rows: 80, seqs: 80 });
  });
});
