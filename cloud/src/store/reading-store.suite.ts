/**
 * The contract of the time-series store (ports/reading-store.ts) and its dedupe index
 * (ports/dedupe-index.ts), run against every adapter: InfluxDB (influx-store.test.ts) and memory
 * (memory-store.test.ts). Sealed batches: a reading sealed in a batch stays in it when a late copy
 * of it is written again naming a later batch (a copy that reached a second ingester), so no
 * reading is ever in two batches and a settled batch reads back as it was charged. Two instances
 * of one code on one device (a second COD analyzer, `channel: cod-2`) and a code outside the six
 * (w00001, a flow totalizer): the instances are two series, so neither overwrites the other's
 * points, in the raw readings, through a seal, and in what every query gives back.
 */
import type { DedupeIndex } from '../ports/dedupe-index.js';
import type { ReadingEncoder } from '../ports/reading-encoder.js';
import type { ReadingStore, ReadingWindow, StoredReading } from '../ports/reading-store.js';

/** A store to hold to the contract, empty, with its dedupe index and encoder. */
export interface ReadingStoreUnderTest {
  store: ReadingStore;
  dedupeIndex: DedupeIndex;
  /** The store's encoder (what its encoder module exports). */
  encode: ReadingEncoder;
  /** Other views of the same readings that must answer windowed queries alike (InfluxDB: the raw readings, rollups off). */
  views: ReadingStore[];
  /** Resolves once what the store does behind its writes is done (InfluxDB: rollup rebuilds). */
  settle(): Promise<void>;
}

const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 24, 3);
const reading = (seq: number, batch: number): StoredReading => ({
  enterprise: 'ent-a', outfall: 'out-1', device: 'dev-a', pollutant: 'w01018', value: 30 + seq / 8, unit: 'mg/L', ts: T0 + seq * 1000, seq, flag: 'N', batch,
});
const seqs = (rows: StoredReading[]): number[] => rows.map((r) => r.seq).sort((a, b) => a - b);

const base = { enterprise: 'ent-a', outfall: 'out-1', device: 'dev-a', flag: 'N' as const, batch: 1 };
/** Every 30 s: flow, the primary COD (40 + k), the second COD (60 + k) at the same moment, and the totalizer. */
function readings(from: number, count: number): StoredReading[] {
  const out: StoredReading[] = [];
  let seq = 0;
  for (let k = 0; k < count; k++) {
    const ts = from + k * 30_000;
    out.push({ ...base, ts, seq: seq++, pollutant: 'w00000', unit: 'm3/h', value: 360 });
    out.push({ ...base, ts, seq: seq++, pollutant: 'w01018', unit: 'mg/L', value: 40 + (k % 3) });
    out.push({ ...base, ts, seq: seq++, pollutant: 'w01018', channel: 'cod-2', unit: 'mg/L', value: 60 + (k % 3) });
    out.push({ ...base, ts, seq: seq++, pollutant: 'w00001', unit: 'm3', value: 1_000_000 + 3 * k });
  }
  return out;
}
const instance = (r: { pollutant: string; channel?: string | undefined }): string => (r.channel === undefined ? r.pollutant : `${r.pollutant}/${r.channel}`);
const byInstance = (windows: readonly Pick<ReadingWindow, 'pollutant' | 'channel' | 'mean'>[]): Record<string, number[]> => {
  const out: Record<string, number[]> = {};
  for (const w of windows) (out[instance(w)] ??= []).push(w.mean);
  return out;
};

/** Declares the contract's tests; `open` gives a new, empty store for each group of them. */
export function describeReadingStore(name: string, open: () => Promise<ReadingStoreUnderTest>): void {
  describe(`${name} store: sealed settlement batches`, () => {
    let store: ReadingStore;
    beforeAll(async () => {
      ({ store } = await open());
    });
    afterAll(async () => {
      await store?.close();
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

  describe(`${name} store: a second instance of a code, and codes outside the six`, () => {
    let store: ReadingStore;
    let views: ReadingStore[];
    // Two whole hours a day ago: a store with rollups backfills them as it writes them.
    const from = Math.floor((Date.now() - 24 * H) / H) * H;
    const written = readings(from, 240);

    beforeAll(async () => {
      const opened = await open();
      ({ store, views } = opened);
      // As the ingester writes: encoded ahead (the store's encoder), one message per device.
      await store.writeEncoded([opened.encode(written)]);
      await opened.settle();
    });
    afterAll(async () => {
      await store?.close();
    });

    it('keeps both COD analyzers\' readings at the same moment, each with its channel, and the totalizer', async () => {
      const rows = await store.queryReadings({ device: 'dev-a', fromMs: from, toMs: from + 2 * H, limit: 10_000 });
      expect(rows).toHaveLength(written.length);
      const key = (r: StoredReading): string => `${r.seq}`;
      expect([...rows].sort((a, b) => a.seq - b.seq)).toEqual([...written].sort((a, b) => a.seq - b.seq));
      expect(rows.map(key).sort()).toEqual(written.map(key).sort());
      expect(rows.filter((r) => r.ts === from).map(instance).sort()).toEqual(['w00000', 'w00001', 'w01018', 'w01018/cod-2']);
      expect((await store.readBatch(1)).filter((r) => r.channel === 'cod-2')).toHaveLength(240);
    });

    it('gives two series of windows, from the rollups as from the raw readings', async () => {
      const query = { device: 'dev-a', fromMs: from, toMs: from + 2 * H, limit: 100, everyMs: H };
      for (const s of [store, ...views]) {
        const windows = await s.queryWindows(query);
        expect(byInstance(windows)).toEqual({ w00000: [360, 360], w00001: [expect.any(Number), expect.any(Number)], w01018: [41, 41], 'w01018/cod-2': [61, 61] });
        expect(windows.filter((w) => w.pollutant === 'w01018').every((w) => w.count === 120)).toBe(true);
        expect(byInstance(await s.queryMeans(query))).toEqual(byInstance(windows));
      }
      // Windows the rollups cannot hold whole (10 s) come from the raw readings, split by channel too.
      const fine = await store.queryMeans({ ...query, toMs: from + 60_000, everyMs: 10_000 });
      expect(byInstance(fine)).toEqual({ w00000: [360, 360], w00001: [1_000_000, 1_000_003], w01018: [40, 41], 'w01018/cod-2': [60, 61] });
    });

    it('seals the second instance in its own series: a later copy naming another batch leaves it where it was sealed', async () => {
      const batch = await store.readBatch(1);
      await store.sealBatch(1, batch);
      await store.write(written.filter((r) => r.channel === 'cod-2').slice(0, 5).map((r) => ({ ...r, batch: 2 })));
      expect(await store.readBatch(2)).toEqual([]);
      const again = await store.readBatch(1);
      expect(again).toHaveLength(written.length);
      expect(again.filter((r) => r.channel === 'cod-2').map((r) => r.value).slice(0, 3)).toEqual([60, 61, 62]);
    });
  });

  describe(`${name} store: the dedupe index`, () => {
    let under: ReadingStoreUnderTest;
    beforeAll(async () => {
      under = await open();
    });
    afterAll(async () => {
      await under?.store.close();
    });

    it('knows nothing of an empty store', async () => {
      expect(await under.dedupeIndex.highestSequences()).toEqual(new Map());
      expect(await under.dedupeIndex.storedSequences('dev-a', T0, T0 + H)).toEqual(new Set());
    });

    it('answers the seqs of a device sampled in a range, both ends included, and the highest seq of each device', async () => {
      const other = (seq: number): StoredReading => ({ ...reading(seq, 1), device: 'dev-b' });
      await under.store.writeEncoded([under.encode([0, 1, 2, 3, 4].map((s) => reading(s, 1))), under.encode([7, 9].map(other))]);
      await under.store.write([reading(6, 2)]);
      expect(await under.dedupeIndex.storedSequences('dev-a', T0 + 1000, T0 + 3000)).toEqual(new Set([1, 2, 3]));
      expect(await under.dedupeIndex.storedSequences('dev-a', T0, T0 + 10_000)).toEqual(new Set([0, 1, 2, 3, 4, 6]));
      expect(await under.dedupeIndex.storedSequences('dev-b', T0, T0 + 5000)).toEqual(new Set());
      expect(await under.dedupeIndex.highestSequences()).toEqual(new Map([['dev-a', 6], ['dev-b', 9]]));
    });
  });
}
