/**
 * InfluxDB stopped for 30 s and the ingester process killed with SIGKILL in
 * the middle of a stream: afterwards InfluxDB holds every genuine reading
 * exactly once. Real parts: Debian's influxd and mosquitto as child
 * processes, the ingester as its own process (node cloud/dist/main.js).
 */
import type { ChildProcess } from 'node:child_process';
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

const INFLUX_DOWN_MS = 30_000;
const key = generateDeviceKeyPair();

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('ingester faults', () => {
  let dir: string;
  let influxd: InfluxdServer;
  let mosquitto: MosquittoServer;
  let ingester: ChildProcess | undefined;
  let edge: MqttClient;
  let store: ReadingStore;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qingliu-faults-'));
    influxd = await startInfluxd();
    mosquitto = await startMosquitto();
    await writeFile(
      join(dir, 'enrolment.json'),
      JSON.stringify({ devices: [{ device: 'dev-a', enterprise: 'ent-a', outfall: 'out-a', publicKey: key.publicKeyHex, sampleIntervalMs: 1000 }] }),
    );
    await writeCloudConfig(join(dir, 'cloud.yaml'), {
      mqtt: { url: mosquitto.url, clientId: 'ingester-faults' },
      influx: { url: influxd.url, database: 'qingliu', timeoutMs: 2000 },
      registryFile: join(dir, 'enrolment.json'),
      deadLetterDir: join(dir, 'dead-letters'),
      journalDir: join(dir, 'journal'),
      http: { port: 0 },
    });
    store = await createInfluxStore({ url: influxd.url, database: 'qingliu' });
    edge = await connectAsync(mosquitto.url, { clientId: 'edge-faults' });
  });

  afterAll(async () => {
    if (ingester) await killHard(ingester);
    await edge?.endAsync(true);
    await mosquitto?.stop();
    await influxd?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('holds every genuine reading exactly once after InfluxDB is down 30 s and the ingester is killed -9 mid-stream', async () => {
    const first = spawnIngester(join(dir, 'cloud.yaml'));
    await first.http;
    ingester = first.child;
    const sent: Reading[] = [];
    let seq = 0;
    let publishing = true;
    const t0 = Date.UTC(2026, 10, 24, 2);
    const stream = (async () => {
      // At most 2,000 batches, one every 10 ms, while the faults happen.
      for (let i = 0; i < 2000 && publishing; i += 1) {
        const readings: Reading[] = Array.from({ length: 20 }, () => {
          const s = seq++;
          return { enterprise: 'ent-a', outfall: 'out-a', device: 'dev-a', pollutant: 'w21003', value: (s % 300) / 37, unit: 'mg/L', ts: t0 + s * 100, seq: s, flag: 'N' };
        });
        await edge.publishAsync(readingsTopic('ent-a', 'dev-a'), JSON.stringify(signBatch({ v: BATCH_VERSION, enterprise: 'ent-a', device: 'dev-a', readings }, key.privateKeyPem)), { qos: 1 });
        sent.push(...readings);
        await sleep(10);
      }
    })();

    await sleep(1500);
    const { dataDir, port } = influxd;
    await influxd.stop({ keepData: true });
    const downAt = Date.now();
    await sleep(1500);
    await killHard(ingester);
    await sleep(500);
    // Restarted while InfluxDB is still down: it waits for its dedupe state before it takes a message.
    const restarted = spawnIngester(join(dir, 'cloud.yaml'));
    ingester = restarted.child;
    await sleep(Math.max(0, INFLUX_DOWN_MS - (Date.now() - downAt)));
    publishing = false;
    await stream;
    influxd = await startInfluxd({ dataDir, port });
    await restarted.http;

    const allRows = async (): Promise<StoredReading[]> =>
      (await Promise.all((await store.batches()).map((b) => store.readBatch(b)))).flat();
    const deadline = Date.now() + 30_000;
    let rows = await allRows();
    while (rows.length < sent.length && Date.now() < deadline) {
      await sleep(250);
      rows = await allRows();
    }
    expect(sent.length).toBeGreaterThan(1000);
    expect(rows).toHaveLength(sent.length);
    const stored = new Map(rows.map((r) => [r.seq, r]));
    expect(stored.size).toBe(sent.length);
    for (const reading of sent) expect(stored.get(reading.seq)?.value).toBe(reading.value);
  }, 120_000);
});
