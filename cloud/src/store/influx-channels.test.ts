/**
 * Two instances of one code on one device (a second COD analyzer, `channel: cod-2`) and a code
 * outside the six (w00001, a flow totalizer), against a real InfluxDB (Debian's influxd): the
 * instances are two series, so neither overwrites the other's points, in the raw readings, in
 * the rollups, through a seal, and in what every query gives back.
 */
import { startInfluxd } from '@qingliu/testkit';
import type { InfluxdServer } from '@qingliu/testkit';
import type { ReadingWindow, StoredReading } from '../ports/reading-store.js';
import { encodeReadings } from './influx-encoder.js';
import { createInfluxStore } from './influx-store.js';
import type { InfluxReadingStore } from './influx-store.js';

const H = 3_600_000;
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

describe('InfluxDB store: a second instance of a code, and codes outside the six', () => {
  let influxd: InfluxdServer;
  let store: InfluxReadingStore;
  let raw: InfluxReadingStore;
  // Two whole hours a day ago: the store backfills their rollups as it writes them.
  const from = Math.floor((Date.now() - 24 * H) / H) * H;
  const written = readings(from, 240);

  beforeAll(async () => {
    influxd = await startInfluxd();
    store = await createInfluxStore({ url: influxd.url, database: 'qingliu' });
    raw = await createInfluxStore({ url: influxd.url, database: 'qingliu', rollups: false });
    // As the ingester writes: encoded ahead (influx-encoder), one message per device.
    await store.writeEncoded([encodeReadings(written)]);
    await store.flushRollups();
  });
  afterAll(async () => {
    await store?.close();
    await influxd?.stop();
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
    for (const s of [store, raw]) {
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
