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
    const stats = (await (await fetch(`${influxd.url}/query?q=${encodeURIComponent("SHOW STATS FOR 'shard'")}`, { method: 'POST' })).json()) as {
      results: { series: { tags: Record<string, string>; columns: string[]; values: number[][] }[] }[];
    };
    const shards = stats.results[0]!.series.filter((s) => s.tags.database === 'qingliu' && s.tags.retentionPolicy === 'autogen');
    const pointsWritten = shards.reduce((sum, s) => sum + s.values[0]![s.columns.indexOf('writePointsOk')]!, 0);
    // Besides the readings, each ingester writes its progress reports (ports/ingest-progress.ts): one point each.
    const progress = (await (await fetch(`${influxd.url}/query?db=qingliu&q=${encodeURIComponent('SELECT count("batch") FROM ingest_progress')}`, { method: 'POST' })).json()) as {
      results: { series?: { values: number[][] }[] }[];
    };
    const progressPoints = progress.results[0]!.series?.[0]?.values[0]?.[1] ?? 0;
    expect(progressPoints).toBeGreaterThan(0);
    expect(pointsWritten).toBe(sent.length + progressPoints);
  }, 90_000);
});
