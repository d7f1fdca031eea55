/**
 * Sealing settlement batches, against a real InfluxDB (Debian's influxd): a
 * reading sealed in a batch stays in it when a late copy of it is written
 * again naming a later batch (a copy that reached a second ingester), so no
 * reading is ever in two batches and a settled batch reads back as it was
 * charged.
 */
import { startInfluxd } from '@qingliu/testkit';
import type { InfluxdServer } from '@qingliu/testkit';
import type { StoredReading } from '../ports/reading-store.js';
import { createInfluxStore } from './influx-store.js';
import type { InfluxReadingStore } from './influx-store.js';

const T0 = Date.UTC(2026, 10, 24, 3);
const reading = (seq: number, batch: number): StoredReading => ({
  enterprise: 'ent-a', outfall: 'out-1', device: 'dev-a', pollutant: 'w01018', value: 30 + seq / 8, unit: 'mg/L', ts: T0 + seq * 1000, seq, flag: 'N', batch,
});
const seqs = (rows: StoredReading[]): number[] => rows.map((r) => r.seq).sort((a, b) => a - b);

describe('InfluxDB store: sealed settlement batches', () => {
  let influxd: InfluxdServer;
  let store: InfluxReadingStore;

  beforeAll(async () => {
    influxd = await startInfluxd();
    store = await createInfluxStore({ url: influxd.url, database: 'qingliu', rollups: false });
  });
  afterAll(async () => {
    await store?.close();
    await influxd?.stop();
  });

  it('keeps a sealed reading in its batch when a copy is written naming a later one, and out of that one', async () => {
    await store.write([0, 1, 2, 3, 4].map((s) => reading(s, 10)));
    const ten = await store.readBatch(10);
    expect(seqs(ten)).toEqual([0, 1, 2, 3, 4]);
    await store.sealBatch(10, ten);

    // Late copies of 1 and 2 arrive at another ingester in batch 11, beside a new reading 5.
    await store.write([reading(1, 11), reading(2, 11), reading(5, 11)]);
    expect(seqs(await store.readBatch(10))).toEqual([0, 1, 2, 3, 4]);
    expect(seqs(await store.readBatch(11))).toEqual([5]);
    // Every read says where a reading belongs.
    const found = await store.queryReadings({ device: 'dev-a', fromMs: T0, toMs: T0 + 10_000, limit: 100 });
    expect(found.map((r) => [r.seq, r.batch])).toEqual([[0, 10], [1, 10], [2, 10], [3, 10], [4, 10], [5, 11]]);
    // The values are untouched by the seal, and there is one point per reading.
    expect(found.map((r) => r.value)).toEqual([0, 1, 2, 3, 4, 5].map((s) => 30 + s / 8));

    // Sealing again is a no-op; a batch whose every reading was written again naming a later one is still listed.
    await store.sealBatch(10, await store.readBatch(10));
    await store.write([0, 3, 4].map((s) => reading(s, 11)));
    expect(seqs(await store.readBatch(10))).toEqual([0, 1, 2, 3, 4]);
    expect(await store.batches()).toEqual([10, 11]);
  });

  it('moves an unsealed reading with its last write: it is charged where it is when its batch is sealed', async () => {
    await store.write([reading(20, 12)]);
    await store.write([reading(20, 13)]);
    expect(seqs(await store.readBatch(12))).toEqual([]);
    expect(seqs(await store.readBatch(13))).toEqual([20]);
  });
});
