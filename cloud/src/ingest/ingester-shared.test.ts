/**
 * Two ingester processes share the load through an MQTT shared subscription
 * ($share/ingest/...) on a real Mosquitto; one is killed with SIGKILL mid-stream
 * and restarted. InfluxDB (Debian's influxd) must hold every reading once.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { BATCH_VERSION, generateDeviceKeyPair, readingsTopic, signBatch } from '@qingliu/protocol';
import type { Reading } from '@qingliu/protocol';
import { startInfluxd, startMosquitto } from '@qingliu/testkit';
import type { InfluxdServer, MosquittoServer } from '@qingliu/testkit';
import type { ReadingStore, StoredReading } from '../ports/reading-store.js';
import { createInfluxStore } from '../store/influx-store.js';
import { killHard, spawnIngester, writeCloudConfig } from '../testing/ingester-process.js';
import type { IngesterProcess } from '../testing/ingester-process.js';

const DEVICES = ['dev-1', 'dev-2', 'dev-3'] as const;
const keys = Object.fromEntries(DEVICES.map((d) => [d, generateDeviceKeyPair()]));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('two ingesters on one shared subscription', () => {
  let dir: string;
  let influxd: InfluxdServer;
  let mosquitto: MosquittoServer;
  let store: ReadingStore;
  let edge: MqttClient;
  const ingesters: IngesterProcess[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qingliu-shared-'));
    influxd = await startInfluxd();
    mosquitto = await startMosquitto();
    await writeFile(
      join(dir, 'enrolment.json'),
      JSON.stringify({ devices: DEVICES.map((d) => ({ device: d, enterprise: 'ent-a', outfall: `out-${d}`, publicKey: keys[d]!.publicKeyHex, sampleIntervalMs: 1000 })) }),
    );
    for (const n of [1, 2]) {
      await writeCloudConfig(join(dir, `ingester-${n}.yaml`), {
        mqtt: { url: mosquitto.url, clientId: `ingester-${n}`, sharedGroup: 'ingest', connections: n },
        influx: { url: influxd.url, database: 'qingliu', timeoutMs: 2000 },
        registryFile: join(dir, 'enrolment.json'),
        deadLetterDir: join(dir, `dead-letters-${n}`),
        // The one that is killed keeps a journal: its replay must not write anything twice either.
        ...(n === 2 ? { journalDir: join(dir, 'journal-2') } : {}),
        http: { port: 0 },
      });
    }
    store = await createInfluxStore({ url: influxd.url, database: 'qingliu' });
    edge = await connectAsync(mosquitto.url, { clientId: 'edge-shared' });
  });

  afterAll(async () => {
    for (const ingester of ingesters) await killHard(ingester.child);
    await edge?.endAsync(true);
    await mosquitto?.stop();
    await influxd?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('splits the messages between them and writes no reading twice, across a kill -9 of one', async () => {
    ingesters.push(spawnIngester(join(dir, 'ingester-1.yaml')), spawnIngester(join(dir, 'ingester-2.yaml')));
    const urls = await Promise.all(ingesters.map((i) => i.http));
    const seqs = Object.fromEntries(DEVICES.map((d) => [d, 0]));
    const sent: Reading[] = [];
    const t0 = Date.UTC(2026, 10, 24, 3);
    const publish = async (batches: number): Promise<void> => {
      for (let i = 0; i < batches; i += 1) {
        const device = DEVICES[i % DEVICES.length]!;
        const readings: Reading[] = Array.from({ length: 10 }, () => {
          const seq = seqs[device]!++;
          return { enterprise: 'ent-a', outfall: `out-${device}`, device, pollutant: 'w01018', value: 30 + (seq % 11) / 3, unit: 'mg/L', ts: t0 + seq * 500, seq, flag: 'N' };
        });
        const batch = signBatch({ v: BATCH_VERSION, enterprise: 'ent-a', device, readings }, keys[device]!.privateKeyPem);
        await edge.publishAsync(readingsTopic('ent-a', device), JSON.stringify(batch), { qos: 1 });
        sent.push(...readings);
        await sleep(2);
      }
    };

    await publish(300);
    const storedBy = async (url: string): Promise<number> =>
      ((await (await fetch(`${url}/status`)).json()) as { ingest: { stored: number } }).ingest.stored;
    const deadline = Date.now() + 20_000;
    while ((await storedBy(urls[0]!)) + (await storedBy(urls[1]!)) < sent.length && Date.now() < deadline) await sleep(50);
    const shares = [await storedBy(urls[0]!), await storedBy(urls[1]!)];
    expect(shares[0]! + shares[1]!).toBe(sent.length);
    expect(Math.min(...shares)).toBeGreaterThan(sent.length / 10);

    // Kill one in the middle of the next stream, then bring it back.
    const streaming = publish(300);
    await sleep(200);
    await killHard(ingesters[1]!.child);
    await sleep(500);
    ingesters[1] = spawnIngester(join(dir, 'ingester-2.yaml'));
    await ingesters[1].http;
    await streaming;

    const all = async (): Promise<StoredReading[]> => (await Promise.all((await store.batches()).map((b) => store.readBatch(b)))).flat();
    let rows = await all();
    const until = Date.now() + 20_000;
    while (rows.length < sent.length && Date.now() < until) {
      await sleep(200);
      rows = await all();
    }
    await sleep(500); // anything written twice would show up now
    rows = await all();
    expect(rows).toHaveLength(sent.length);
    expect(new Set(rows.map((r) => `${r.device}/${r.seq}`)).size).toBe(sent.length);
    // A point written twice lands on the same row, so count the writes themselves: InfluxDB's own tally, per shard
    // of the readings' retention policy (the rollups' continuous queries write to their own).
    const writes = async (): Promise<number> => {
      const stats = (await (await fetch(`${influxd.url}/query?q=${encodeURIComponent("SHOW STATS FOR 'shard'")}`, { method: 'POST' })).json()) as {
        results: { series: { tags: Record<string, string>; columns: string[]; values: number[][] }[] }[];
      };
      const shards = stats.results[0]!.series.filter((s) => s.tags.database === 'qingliu' && s.tags.retentionPolicy === 'autogen');
      return shards.reduce((sum, s) => sum + s.values[0]![s.columns.indexOf('writePointsOk')]!, 0);
    };
    // Besides the readings, each ingester writes its progress reports (ports/ingest-progress.ts): one point each.
    const progressCount = async (): Promise<number> => {
      const progress = (await (await fetch(`${influxd.url}/query?db=qingliu&q=${encodeURIComponent('SELECT count("batch") FROM ingest_progress')}`, { method: 'POST' })).json()) as {
        results: { series?: { values: number[][] }[] }[];
      };
      return progress.results[0]!.series?.[0]?.values[0]?.[1] ?? 0;
    };
    // The ingesters keep reporting progress meanwhile: take the tally between two equal progress counts.
    let progressPoints = -1;
    let pointsWritten = 0;
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const before = await progressCount();
      pointsWritten = await writes();
      if ((await progressCount()) === before) {
        progressPoints = before;
        break;
      }
    }
    expect(progressPoints).toBeGreaterThan(0);
    expect(pointsWritten).toBe(sent.length + progressPoints);
  }, 90_000);

  it('refuses a replayed batch as a duplicate whichever ingester it reaches, also the one that never saw those seqs', async () => {
    type Status = { ingest: { stored: number; rejected: Record<string, number> } };
    const urls = await Promise.all(ingesters.map((i) => i.http));
    const status = async (): Promise<Status[]> => Promise.all(urls.map(async (url) => (await (await fetch(`${url}/status`)).json()) as Status));
    const duplicates = (all: Status[]): number => all.reduce((n, s) => n + (s.ingest.rejected.DUPLICATE ?? 0), 0);
    const stored = (all: Status[]): number => all.reduce((n, s) => n + s.ingest.stored, 0);
    // A new batch of dev-1, above every seq so far, taken in by one of the two; then ten copies of it, which the
    // shared subscription spreads over both: the other has not seen these seqs, and must not take them as new.
    const readings: Reading[] = Array.from({ length: 10 }, (_, i) => ({
      enterprise: 'ent-a', outfall: 'out-dev-1', device: 'dev-1', pollutant: 'w01018', value: 40 + i, unit: 'mg/L', ts: Date.UTC(2026, 10, 24, 5) + i * 500, seq: 1_000_000 + i, flag: 'N',
    }));
    const payload = JSON.stringify(signBatch({ v: BATCH_VERSION, enterprise: 'ent-a', device: 'dev-1', readings }, keys['dev-1']!.privateKeyPem));
    const original = await status();
    await edge.publishAsync(readingsTopic('ent-a', 'dev-1'), payload, { qos: 1 });
    const taken = Date.now() + 10_000;
    while (stored(await status()) < stored(original) + 10 && Date.now() < taken) await sleep(50);
    expect(stored(await status())).toBe(stored(original) + 10);
    const before = await status();
    for (let i = 0; i < 10; i += 1) await edge.publishAsync(readingsTopic('ent-a', 'dev-1'), payload, { qos: 1 });
    const deadline = Date.now() + 10_000;
    let after = await status();
    while (duplicates(after) - duplicates(before) < 10 && Date.now() < deadline) {
      await sleep(100);
      after = await status();
    }
    expect(duplicates(after) - duplicates(before)).toBe(10);
    expect(stored(after)).toBe(stored(before));
    // Both took some: the one that did not store the original refused it too.
    expect(after.map((s, i) => (s.ingest.rejected.DUPLICATE ?? 0) - (before[i]!.ingest.rejected.DUPLICATE ?? 0)).every((n) => n > 0)).toBe(true);
  }, 30_000);
});
