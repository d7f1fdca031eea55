import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { BATCH_VERSION, generateDeviceKeyPair, readingsTopic, signBatch } from '@qingliu/protocol';
import type { Reading } from '@qingliu/protocol';
import { startInfluxd, waitFor } from '@qingliu/testkit';
import type { InfluxdServer } from '@qingliu/testkit';
import type { ReadingStore } from '../ports/reading-store.js';
import { createEmbeddedBroker } from '../broker/embedded-broker.js';
import type { EmbeddedBroker } from '../broker/embedded-broker.js';
import { hashPassword } from '../broker/passwords.js';
import type { BrokerAccount } from '../broker/broker-accounts.js';
import { DeviceRegistry } from '../registry/device-registry.js';
import { createInfluxStore } from '../store/influx-store.js';
import { createInfluxDedupeIndex } from '../store/influx-dedupe-index.js';
import { INFLUX_ENCODER_MODULE } from '../store/influx-encoder.js';
import { IngestJournal } from './ingest-journal.js';
import { createIngester } from './ingester.js';
import type { Ingester } from './ingester.js';

export interface Credentials {
  username?: string;
  password?: string;
}

/** A running MQTT broker the suite can use: its URL and an edge's and the ingester's credentials. */
export interface SuiteBroker {
  url: string;
  /** CA certificate to trust, for mqtts:// brokers. */
  ca?: Buffer;
  edge: Credentials;
  ingester: Credentials;
  /**
   * The broker binds client ids to accounts: with it, the suite has ent-b's edge (`edge-b`) try to
   * take over the ingester's and ent-a's agent's client ids while ent-a publishes.
   */
  intruder?: Credentials;
  stop(): Promise<void>;
}

export const suiteKey = generateDeviceKeyPair();
export const suiteRegistry = new DeviceRegistry([
  { device: 'dev-a', enterprise: 'ent-a', outfall: 'out-1', publicKey: suiteKey.publicKeyHex, sampleIntervalMs: 1000 },
  { device: 'dev-b', enterprise: 'ent-b', outfall: 'out-2', publicKey: generateDeviceKeyPair().publicKeyHex, sampleIntervalMs: 1000 },
]);

/** The suite's broker accounts' passwords: ent-a's edge, ent-b's edge, the ingester. */
export const SUITE_PASSWORDS = { 'edge-a': 'pw-a', 'edge-b': 'pw-b', ingester: 'pw-i' } as const;
/** The suite's broker accounts: each edge's agent id is its username; the ingester connects as `ingester-...`. */
export const suiteAccounts = (): BrokerAccount[] => [
  { username: 'edge-a', passwordHash: hashPassword(SUITE_PASSWORDS['edge-a']), role: 'edge', enterprise: 'ent-a' },
  { username: 'edge-b', passwordHash: hashPassword(SUITE_PASSWORDS['edge-b']), role: 'edge', enterprise: 'ent-b' },
  { username: 'ingester', passwordHash: hashPassword(SUITE_PASSWORDS.ingester), role: 'ingester' },
];

/** The embedded aedes broker with the suite's accounts (suiteAccounts). */
export function startSuiteAedes(): Promise<EmbeddedBroker> {
  return createEmbeddedBroker({
    accounts: suiteAccounts(),
    registry: suiteRegistry,
    logger: pino({ level: 'silent' }),
  });
}

let nextSeq = 0;
const t0 = Date.UTC(2026, 10, 24);
export function suiteReadings(n: number): Reading[] {
  return Array.from({ length: n }, () => {
    const seq = nextSeq++;
    return { enterprise: 'ent-a', outfall: 'out-1', device: 'dev-a', pollutant: 'w01018', value: 30 + (seq % 7) / 4, unit: 'mg/L', ts: t0 + seq * 1000, seq, flag: 'N' };
  });
}
export const suitePayload = (rs: Reading[]): string =>
  JSON.stringify(signBatch({ v: BATCH_VERSION, enterprise: 'ent-a', device: 'dev-a', readings: rs }, suiteKey.privateKeyPem));
export const TOPIC_A = readingsTopic('ent-a', 'dev-a');


const SUITE_INGESTER_ID = 'ingester-suite';

/** How the broker answers a CONNECT: 0 accepted, else the CONNACK's refusal code. */
async function connackCode(url: string, options: Credentials & { clientId: string; ca?: Buffer }): Promise<number> {
  try {
    const client = await connectAsync(url, { ...options, reconnectPeriod: 0, connectTimeout: 3000 });
    await client.endAsync(true);
    return 0;
  } catch (error) {
    return (error as { code?: number }).code ?? -1;
  }
}

/** The QoS the broker's SUBACK grants each topic (128: refused). mqtt.js rejects a SUBACK with a refusal; its packet says which. */
export async function subscribeGranted(client: MqttClient, topics: string | string[], options: { qos: 0 | 1 | 2 }): Promise<number[]> {
  try {
    return (await client.subscribeAsync(topics, options)).map((g) => g.qos);
  } catch (error) {
    const granted = (error as { packet?: { granted?: Array<number | { reasonCode: number }> } }).packet?.granted;
    if (!granted) throw error;
    return granted.map((g) => (typeof g === 'number' ? g : g.reasonCode));
  }
}

export interface IngestSuiteContext {
  broker: SuiteBroker;
  ingester: Ingester;
  edge: MqttClient;
}

/**
 * What the ingester must do over any MQTT broker, with a real InfluxDB
 * (Debian's influxd, started here). Each broker's test file calls this.
 */
export function describeIngestOverBroker(
  name: string,
  startBroker: () => Promise<SuiteBroker>,
  /** Declares tests of this broker's own, run while the suite's servers are up. */
  more?: (context: IngestSuiteContext) => void,
  /** Run the ingester with a write-ahead journal (in a temp folder). */
  options: { journal?: boolean } = {},
): void {
  const logger = pino({ level: 'silent' });
  const context = {} as IngestSuiteContext;
  let influxd: InfluxdServer;
  let store: ReadingStore;
  let journalDir: string | undefined;
  let journal: IngestJournal | undefined;

  const startIngester = async (): Promise<Ingester> => {
    await journal?.close();
    journal = journalDir ? await IngestJournal.open(journalDir) : undefined;
    return createIngester({
      ...(journal ? { journal } : {}),
      mqtt: {
        url: context.broker.url,
        ...context.broker.ingester,
        clientId: SUITE_INGESTER_ID,
        ...(context.broker.ca ? { ca: context.broker.ca } : {}),
      },
      registry: suiteRegistry,
      store,
      dedupeIndex: createInfluxDedupeIndex({ url: influxd.url, database: 'qingliu', timeoutMs: 2000 }),
      encoderModule: INFLUX_ENCODER_MODULE,
      settlementPeriodMs: 1e12, // one batch for the whole suite
      logger,
      retryMinMs: 50,
      retryMaxMs: 200,
    });
  };
  const storedSeqs = async (): Promise<{ rows: number; seqs: number }> => {
    const rows = await store.readBatch(context.ingester.currentBatch());
    return { rows: rows.length, seqs: new Set(rows.map((r) => r.seq)).size };
  };

  describe(`ingester${options.journal ? ' with a journal' : ''} over ${name}`, () => {
    beforeAll(async () => {
      if (options.journal) journalDir = await mkdtemp(join(tmpdir(), 'qingliu-journal-'));
      influxd = await startInfluxd();
      context.broker = await startBroker();
      store = await createInfluxStore({ url: influxd.url, database: 'qingliu', timeoutMs: 2000 });
      context.ingester = await startIngester();
      context.edge = await connectAsync(context.broker.url, {
        ...context.broker.edge,
        clientId: 'edge-a',
        reconnectPeriod: 200,
        ...(context.broker.ca ? { ca: context.broker.ca } : {}),
      });
    });

    afterAll(async () => {
      await context.edge?.endAsync(true);
      await context.ingester?.close();
      await journal?.close();
      await context.broker?.stop();
      await influxd?.stop();
      if (journalDir) await rm(journalDir, { recursive: true, force: true });
    });

    it('stores signed readings once, drops a replayed batch as duplicates, rejects a forged one', async () => {
      const first = suiteReadings(50);
      await context.edge.publishAsync(TOPIC_A, suitePayload(first), { qos: 1 });
      await context.edge.publishAsync(TOPIC_A, suitePayload(first), { qos: 1 });
      const forged = JSON.parse(suitePayload(suiteReadings(5))) as { readings: Reading[] };
      forged.readings[0]!.value = 0;
      await context.edge.publishAsync(TOPIC_A, JSON.stringify(forged), { qos: 1 });
      // Counted on arrival, checked on the verify threads: wait for the two refusals.
      await waitFor(() => Object.values(context.ingester.stats().rejected).reduce((n, k) => n + k, 0) >= 2, 5000, 'the two refusals');
      // With a journal the broker is acknowledged once journaled; the store write follows.
      await waitFor(() => context.ingester.stats().stored >= 50, 10_000, 'the readings stored');
      const stats = context.ingester.stats();
      expect(stats.stored).toBe(50);
      expect(stats.duplicates).toBe(50);
      expect(stats.rejected).toEqual({ SIGNATURE_INVALID: 1, DUPLICATE: 1 });
      expect(await storedSeqs()).toEqual({ rows: 50, seqs: 50 });
    });

    it('stores nothing while InfluxDB is down, loses nothing, and stores it all once InfluxDB is back', async () => {
      const { dataDir, port } = influxd;
      const before = context.ingester.stats().stored;
      await influxd.stop({ keepData: true });
      // The broker acknowledges the edge; the ingester acknowledges the broker only once stored (or journaled).
      await context.edge.publishAsync(TOPIC_A, suitePayload(suiteReadings(20)), { qos: 1 });
      await context.edge.publishAsync(TOPIC_A, suitePayload(suiteReadings(10)), { qos: 1 });
      await waitFor(() => context.ingester.stats().storeRetries >= 2, 5000, 'store retries');
      expect(context.ingester.stats().stored).toBe(before);
      influxd = await startInfluxd({ dataDir, port });
      await waitFor(() => context.ingester.stats().stored === before + 30, 20_000, 'the held readings');
      expect(await storedSeqs()).toEqual({ rows: 80, seqs: 80 });
    });

    it('gets what was published while it was stopped once it is back, without storing anything twice', async () => {
      await context.ingester.close();
      await context.edge.publishAsync(TOPIC_A, suitePayload(suiteReadings(15)), { qos: 1 });
      context.ingester = await startIngester();
      await waitFor(() => context.ingester.stats().stored === 15, 10_000, 'the readings queued in the broker');
      expect(await storedSeqs()).toEqual({ rows: 95, seqs: 95 });
    });

    it('counts a reading a message carries twice once: stored once, the copy a duplicate', async () => {
      const before = context.ingester.stats();
      const [a, b] = suiteReadings(2);
      await context.edge.publishAsync(TOPIC_A, suitePayload([a!, b!, a!]), { qos: 1 });
      await waitFor(() => context.ingester.stats().stored === before.stored + 2, 10_000, 'the two readings');
      expect(context.ingester.stats().duplicates).toBe(before.duplicates + 1);
      expect(await storedSeqs()).toEqual({ rows: 97, seqs: 97 });
    });

    it('refuses an edge account that takes the ingester\'s or another agent\'s client id, and stores every honest reading exactly once', async () => {
      const intruder = context.broker.intruder;
      if (!intruder) return; // this broker binds no client ids (anonymous Mosquitto)
      const before = await storedSeqs();
      const stored = context.ingester.stats().stored;
      const tls = context.broker.ca ? { ca: context.broker.ca } : {};
      const codes: number[] = [];
      // ent-a's agent publishes 20 QoS 1 batches; between them ent-b's agent tries both ids.
      for (let i = 0; i < 20; i += 1) {
        await context.edge.publishAsync(TOPIC_A, suitePayload(suiteReadings(10)), { qos: 1 });
        codes.push(await connackCode(context.broker.url, { ...intruder, clientId: i % 2 === 0 ? SUITE_INGESTER_ID : 'edge-a', ...tls }));
      }
      // MQTT 3.1.1 CONNACK 5: not authorized.
      expect(codes).toEqual(Array.from({ length: 20 }, () => 5));
      // Its own id is still its own: the refusals are about the ids, not the account.
      expect(await connackCode(context.broker.url, { ...intruder, clientId: 'edge-b', ...tls })).toBe(0);
      await waitFor(() => context.ingester.stats().stored === stored + 200, 10_000, 'the 200 honest readings');
      expect(await storedSeqs()).toEqual({ rows: before.rows + 200, seqs: before.seqs + 200 });
      expect(context.edge.connected).toBe(true);
    });

    more?.(context);
  });
}
