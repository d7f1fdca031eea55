/**
 * 10,000 bad messages with genuine traffic interleaved, through a real broker
 * (aedes in-process, without ACLs, so that every bad message reaches the
 * ingester's own checks) into a real InfluxDB (Debian's influxd).
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { connectAsync } from 'mqtt';
import { pino } from 'pino';
import { BATCH_VERSION, generateDeviceKeyPair, readingsTopic, signBatch } from '@qingliu/protocol';
import type { QingliuErrorCode, Reading } from '@qingliu/protocol';
import { startInfluxd } from '@qingliu/testkit';
import type { InfluxdServer } from '@qingliu/testkit';
import { createFileDeadLetterStore } from '../dead-letter/file-dead-letter-store.js';
import type { DeadLetterStore } from '../ports/dead-letter-store.js';
import type { ReadingStore } from '../ports/reading-store.js';
import { DeviceRegistry } from '../registry/device-registry.js';
import { createInfluxStore } from '../store/influx-store.js';
import { createInfluxDedupeIndex } from '../store/influx-dedupe-index.js';
import { INFLUX_ENCODER_MODULE } from '../store/influx-encoder.js';
import { createIngester } from './ingester.js';
import type { Ingester } from './ingester.js';

const BAD_MESSAGES = 10_000;
const GENUINE_BATCHES = 200;
const READINGS_PER_BATCH = 10;
const MAX_PAYLOAD = 64 * 1024;

const keys = { 'dev-a': generateDeviceKeyPair(), 'dev-b': generateDeviceKeyPair() };
const rogue = generateDeviceKeyPair();
const registry = new DeviceRegistry([
  { device: 'dev-a', enterprise: 'ent-a', outfall: 'out-a', publicKey: keys['dev-a'].publicKeyHex, sampleIntervalMs: 1000 },
  { device: 'dev-b', enterprise: 'ent-b', outfall: 'out-b', publicKey: keys['dev-b'].publicKeyHex, sampleIntervalMs: 1000 },
]);
const where = { 'dev-a': ['ent-a', 'out-a'], 'dev-b': ['ent-b', 'out-b'] } as const;

/** A small seeded PRNG (mulberry32), so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const seqs = { 'dev-a': 0, 'dev-b': 0 };
const t0 = Date.UTC(2026, 10, 24, 8);
function readings(device: 'dev-a' | 'dev-b', n: number): Reading[] {
  const [enterprise, outfall] = where[device];
  return Array.from({ length: n }, () => {
    const seq = seqs[device]++;
    return { enterprise, outfall, device, pollutant: 'w01018', value: 20 + (seq % 50) / 8, unit: 'mg/L', ts: t0 + seq * 1000, seq, flag: 'N' };
  });
}
function batch(device: 'dev-a' | 'dev-b', rs: Reading[], key = keys[device].privateKeyPem): Record<string, unknown> {
  return signBatch({ v: BATCH_VERSION, enterprise: where[device][0], device, readings: rs }, key);
}

interface Message {
  topic: string;
  payload: string | Buffer;
  /** The reason the ingester must give, or undefined for genuine traffic. */
  expect?: QingliuErrorCode;
}

/** One bad message of a kind chosen by `pick`, given the genuine batches sent so far. */
function badMessage(pick: number, random: () => number, sent: Message[]): Message {
  const topicA = readingsTopic('ent-a', 'dev-a');
  const good = batch('dev-a', [{ ...readings('dev-a', 1)[0]!, seq: 10_000_000 + Math.floor(random() * 1e6) }]);
  switch (pick % 12) {
    case 0: // malformed JSON: cut anywhere
      return { topic: topicA, payload: JSON.stringify(good).slice(0, 1 + Math.floor(random() * 200)), expect: 'SCHEMA_INVALID' };
    case 1: // random bytes
      return { topic: topicA, payload: Buffer.from(Array.from({ length: 1 + Math.floor(random() * 300) }, () => Math.floor(random() * 256))), expect: 'SCHEMA_INVALID' };
    case 2: { // a value of the wrong type
      const b = structuredClone(good) as { readings: Record<string, unknown>[] };
      const field = ['value', 'seq', 'ts', 'flag', 'pollutant'][Math.floor(random() * 5)]!;
      b.readings[0]![field] = field === 'value' ? String(random()) : field === 'seq' ? -1 : field === 'ts' ? 1.5 : field === 'flag' ? 'X' : 'w99999';
      return { topic: topicA, payload: JSON.stringify(b), expect: 'SCHEMA_INVALID' };
    }
    case 3: { // a missing or an extra field
      const b = structuredClone(good) as Record<string, unknown>;
      if (random() < 0.5) delete b[['v', 'device', 'readings', 'sig'][Math.floor(random() * 4)]!];
      else b.extra = 'x';
      return { topic: topicA, payload: JSON.stringify(b), expect: 'SCHEMA_INVALID' };
    }
    case 4: // oversized
      return { topic: topicA, payload: Buffer.alloc(MAX_PAYLOAD + 1 + Math.floor(random() * 1000), 0x7b), expect: 'PAYLOAD_TOO_LARGE' };
    case 5: { // tampered after signing
      const b = structuredClone(good) as { readings: { value: number }[] };
      b.readings[0]!.value += 1;
      return { topic: topicA, payload: JSON.stringify(b), expect: 'SIGNATURE_INVALID' };
    }
    case 6: // signed with another key
      return { topic: topicA, payload: JSON.stringify(batch('dev-a', [{ ...readings('dev-a', 1)[0]!, seq: 20_000_000 + pick }], rogue.privateKeyPem)), expect: 'SIGNATURE_INVALID' };
    case 7: { // a garbage signature of the right shape
      const b = { ...good, sig: Buffer.alloc(64, pick % 256).toString('base64') };
      return { topic: topicA, payload: JSON.stringify(b), expect: 'SIGNATURE_INVALID' };
    }
    case 8: { // an unknown device on its own topic
      const r = { enterprise: 'ent-a', outfall: 'out-x', device: 'dev-x', pollutant: 'w01018' as const, value: 1, unit: 'mg/L', ts: t0, seq: pick, flag: 'N' as const };
      const b = signBatch({ v: BATCH_VERSION, enterprise: 'ent-a', device: 'dev-x', readings: [r] }, rogue.privateKeyPem);
      return { topic: readingsTopic('ent-a', 'dev-x'), payload: JSON.stringify(b), expect: 'DEVICE_UNKNOWN' };
    }
    case 9: // a device publishing on another's topic
      return { topic: readingsTopic('ent-b', 'dev-b'), payload: JSON.stringify(good), expect: 'TOPIC_MISMATCH' };
    case 10: { // a reading that claims another device inside a signed batch
      const r = { ...readings('dev-b', 1)[0]!, seq: 30_000_000 + pick };
      const b = signBatch({ v: BATCH_VERSION, enterprise: 'ent-a', device: 'dev-a', readings: [r] }, keys['dev-a'].privateKeyPem);
      return { topic: topicA, payload: JSON.stringify(b), expect: 'TOPIC_MISMATCH' };
    }
    default: { // a replay of a genuine batch sent earlier
      const genuine = sent.filter((m) => m.expect === undefined);
      const original = genuine[Math.floor(random() * genuine.length)];
      if (!original) return badMessage(0, random, sent);
      return { topic: original.topic, payload: original.payload, expect: 'DUPLICATE' };
    }
  }
}

describe('ingester under 10,000 bad messages', () => {
  let influxd: InfluxdServer;
  let broker: Aedes;
  let server: Server;
  let store: ReadingStore;
  let deadLetters: DeadLetterStore;
  let ingester: Ingester;
  let deadLetterDir: string;

  beforeAll(async () => {
    influxd = await startInfluxd();
    broker = await Aedes.createBroker();
    server = createServer(broker.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    store = await createInfluxStore({ url: influxd.url, database: 'qingliu' });
    deadLetterDir = await mkdtemp(join(tmpdir(), 'qingliu-dead-'));
    deadLetters = await createFileDeadLetterStore(deadLetterDir);
    ingester = await createIngester({
      mqtt: { url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`, clientId: 'ingester-bad' },
      registry,
      store,
      dedupeIndex: createInfluxDedupeIndex({ url: influxd.url, database: 'qingliu' }),
      encoderModule: INFLUX_ENCODER_MODULE,
      deadLetters,
      settlementPeriodMs: 1e12,
      maxPayloadBytes: MAX_PAYLOAD,
      logger: pino({ level: 'silent' }),
    });
  });

  afterAll(async () => {
    await ingester?.close();
    await deadLetters?.close();
    await new Promise<void>((resolve) => (broker ? broker.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await influxd?.stop();
    await rm(deadLetterDir, { recursive: true, force: true });
  });

  it('stores none of them, counts each under its reason, and stores every genuine reading sent among them', async () => {
    const random = prng(20261124);
    const messages: Message[] = [];
    const genuineAt = new Set(Array.from({ length: GENUINE_BATCHES }, (_, i) => Math.floor(((i + random()) * BAD_MESSAGES) / GENUINE_BATCHES)));
    let bad = 0;
    for (let i = 0; bad < BAD_MESSAGES; i += 1) {
      if (genuineAt.has(i)) {
        const device = random() < 0.5 ? 'dev-a' : 'dev-b';
        messages.push({ topic: readingsTopic(where[device][0], device), payload: JSON.stringify(batch(device, readings(device, READINGS_PER_BATCH))) });
        genuineAt.delete(i);
      } else {
        messages.push(badMessage(Math.floor(random() * 12), random, messages));
        bad += 1;
      }
    }
    const genuine = messages.filter((m) => m.expect === undefined);
    expect(genuine.length).toBeGreaterThan(GENUINE_BATCHES * 0.9);

    const publisher = await connectAsync(`mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`, { clientId: 'bad-publisher' });
    const started = Date.now();
    for (let i = 0; i < messages.length; i += 500) {
      await Promise.all(messages.slice(i, i + 500).map((m) => publisher.publishAsync(m.topic, m.payload, { qos: 1 })));
    }
    await publisher.endAsync();
    // Counted on arrival; checked on the verify threads: wait for every verdict.
    const verdicts = (): number => Object.values(ingester.stats().rejected).reduce((n, k) => n + k, 0);
    while ((verdicts() < BAD_MESSAGES || ingester.stats().stored < genuine.length * READINGS_PER_BATCH) && Date.now() - started < 60_000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const expected: Partial<Record<QingliuErrorCode, number>> = {};
    for (const m of messages) if (m.expect) expected[m.expect] = (expected[m.expect] ?? 0) + 1;
    const stats = ingester.stats();
    expect(stats.messages).toBe(messages.length);
    expect(stats.rejected).toEqual(expected);
    expect(Object.keys(expected).sort()).toEqual(
      ['DEVICE_UNKNOWN', 'DUPLICATE', 'PAYLOAD_TOO_LARGE', 'SCHEMA_INVALID', 'SIGNATURE_INVALID', 'TOPIC_MISMATCH'].sort(),
    );

    const genuineReadings = genuine.length * READINGS_PER_BATCH;
    expect(stats.stored).toBe(genuineReadings);
    const rows = await store.readBatch(ingester.currentBatch());
    expect(rows).toHaveLength(genuineReadings);
    const sent = new Set(genuine.flatMap((m) => (JSON.parse(String(m.payload)) as { readings: Reading[] }).readings.map((r) => `${r.device}/${r.seq}`)));
    expect(new Set(rows.map((r) => `${r.device}/${r.seq}`))).toEqual(sent);

    await deadLetters.flush();
    const files = await readdir(deadLetterDir);
    const lines = (await Promise.all(files.map((f) => readFile(join(deadLetterDir, f), 'utf8')))).join('').trim().split('\n');
    expect(lines).toHaveLength(BAD_MESSAGES);
    const letter = JSON.parse(lines.find((l) => l.includes('PAYLOAD_TOO_LARGE'))!) as { size: number; truncated: boolean };
    expect(letter.size).toBeGreaterThan(MAX_PAYLOAD);
    expect(letter.truncated).toBe(true);
  }, 90_000);
});
