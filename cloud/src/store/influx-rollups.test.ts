/**
 * The rollups against a real InfluxDB (Debian's influxd, continuous queries on): windowed queries
 * read from the rollups answer what the raw readings answer, late readings included, and the open
 * interval at the end is there.
 */
import type { PollutantCode } from '@qingliu/protocol';
import { startInfluxd } from '@qingliu/testkit';
import type { InfluxdServer } from '@qingliu/testkit';
import type { ReadingWindow, StoredReading } from '../ports/reading-store.js';
import { encodeReadings } from './influx-encoder.js';
import { createInfluxStore } from './influx-store.js';
import type { InfluxReadingStore } from './influx-store.js';

const M = 60_000;
const H = 3_600_000;
const DAY = 86_400_000;
const DEVICES = ['dev-a', 'dev-b', 'dev-c'];
const POLLUTANTS: PollutantCode[] = ['w01018', 'w21003'];

let seq = 0;
function reading(device: string, pollutant: PollutantCode, ts: number, value: number): StoredReading {
  const i = DEVICES.indexOf(device);
  return { enterprise: `ent-${i % 2}`, outfall: `out-${device}`, device, pollutant, unit: 'mg/L', value, ts, seq: seq++, flag: 'N', batch: 1 };
}

/** One sample every 20 s of every series in [from, to), values uneven so a mean of means would differ. */
function samples(from: number, to: number): StoredReading[] {
  const out: StoredReading[] = [];
  for (let ts = from; ts < to; ts += 20_000) {
    DEVICES.forEach((device, d) =>
      POLLUTANTS.forEach((pollutant, p) => {
        // Skip some samples, so buckets hold different counts.
        if ((ts / 20_000 + d + p) % 7 === 0) return;
        out.push(reading(device, pollutant, ts, 10 + d + p + 5 * Math.sin(ts / 997_000) + ((ts / 20_000) % 13)));
      }),
    );
  }
  return out;
}

async function writeAll(store: InfluxReadingStore, readings: StoredReading[]): Promise<void> {
  for (let i = 0; i < readings.length; i += 5000) await store.write(readings.slice(i, i + 5000));
  await store.flushRollups();
}

/** Same windows in the same order, means equal to floating tolerance, the rest exactly. */
function expectSameWindows(actual: ReadingWindow[], expected: ReadingWindow[]): void {
  const key = (w: ReadingWindow): string => `${w.enterprise}/${w.outfall}/${w.device}/${w.pollutant}@${w.ts}#${w.count} ${w.min}..${w.max}`;
  expect(actual.map(key)).toEqual(expected.map(key));
  const off = actual.filter((w, i) => Math.abs(w.mean - expected[i]!.mean) > 1e-9 * Math.max(1, Math.abs(w.mean)));
  expect(off).toEqual([]);
}

describe('InfluxDB rollups', () => {
  let influxd: InfluxdServer;
  let store: InfluxReadingStore;
  /** The same database read without the rollups: what every answer must equal. */
  let raw: InfluxReadingStore;
  const now = Date.now();
  // Two days of history ending four hours ago (backfilled by the store as it is written: older than the
  // continuous queries reach, so they never touch it), cut mid-hour at both ends; and the last 50 s (the open interval).
  const historyFrom = Math.floor((now - 2 * DAY) / H) * H + 17 * M + 20_000;
  const historyTo = now - 4 * H;
  const openFrom = now - 50_000;
  const openReadings = samples(openFrom, now);
  const newest = Math.max(...openReadings.map((r) => r.ts));

  beforeAll(async () => {
    influxd = await startInfluxd();
    store = await createInfluxStore({ url: influxd.url, database: 'qingliu' });
    raw = await createInfluxStore({ url: influxd.url, database: 'qingliu', rollups: false });
    await writeAll(store, samples(historyFrom, historyTo));
    await writeAll(store, openReadings);
  });

  afterAll(async () => {
    await influxd?.stop();
  });

  const range = { fromMs: historyFrom - 7 * M - 13_000, toMs: now + M, limit: 10_000 };

  // The whole history for coarse windows; for fine ones its first six hours and the last half hour.
  const early = { fromMs: range.fromMs, toMs: historyFrom + 6 * H, limit: 10_000 };
  const late = { fromMs: now - 30 * M, toMs: now + M, limit: 10_000 };
  it.each([
    ['1 h (the 1 h rollup as stored)', H, [range]],
    ['2 h (1 h buckets folded here)', 2 * H, [range]],
    ['1 d (the 1 h rollup grouped by InfluxDB)', DAY, [range]],
    ['10 min (the 1 m rollup grouped by InfluxDB)', 10 * M, [range]],
    ['1 min (the 1 m rollup as stored)', M, [early, late]],
    ['15 s (raw readings only)', 15_000, [early, late]],
  ])('answers windows of %s as the raw readings do, edges cut mid-bucket', async (_name, everyMs, ranges) => {
    for (const r of ranges) {
      const expected = await raw.queryWindows({ ...r, everyMs });
      expect(expected.length).toBeGreaterThan(0);
      expectSameWindows(await store.queryWindows({ ...r, everyMs }), expected);
      const means = await store.queryMeans({ ...r, everyMs });
      const rawMeans = await raw.queryMeans({ ...r, everyMs });
      expect(means.map((m) => `${m.device}/${m.pollutant}@${m.ts}`)).toEqual(rawMeans.map((m) => `${m.device}/${m.pollutant}@${m.ts}`));
      expect(means.filter((m, i) => Math.abs(m.mean - rawMeans[i]!.mean) > 1e-9 * Math.max(1, Math.abs(m.mean)))).toEqual([]);
    }
  });

  it('keeps the rollups in InfluxDB: 1 h buckets with the sum and count of the raw readings', async () => {
    const url = new URL('/query', influxd.url);
    url.searchParams.set('db', 'qingliu');
    // Up to the end of the history's last hour: the continuous queries keep the hours after it by now.
    const until = `time < ${Math.floor(historyTo / H) * H + H}ms`;
    url.searchParams.set('q', `SELECT sum("count") FROM "rollup_1h"."reading_1h" WHERE ${until}; SELECT count("value") FROM "reading" WHERE ${until}; SHOW CONTINUOUS QUERIES`);
    const body = (await (await fetch(url)).json()) as { results: { series: { values: unknown[][] }[] }[] };
    const [rolled, counted, cqs] = body.results;
    expect(rolled!.series[0]!.values[0]![1]).toBe(counted!.series[0]!.values[0]![1]);
    expect(JSON.stringify(cqs)).toContain('RESAMPLE EVERY 1m FOR 1h');
  });

  it('shows the open interval at the end: the current hour holds the readings written a moment ago', async () => {
    const windows = await store.queryWindows({ ...range, everyMs: H });
    const rawWindows = await raw.queryWindows({ ...range, everyMs: H });
    const lastHour = Math.floor(newest / H) * H;
    const last = windows.filter((w) => w.device === 'dev-a' && w.pollutant === 'w01018').at(-1)!;
    expect(last.ts).toBe(lastHour);
    expect(last.count).toBe(rawWindows.filter((w) => w.device === 'dev-a' && w.pollutant === 'w01018').at(-1)!.count);
    expect(last.count).toBeGreaterThan(0);
  });

  it('folds in a reading written late, days after its hour was rolled up', async () => {
    const hour = Math.floor(historyFrom / H) * H + 5 * H;
    const before = await store.queryWindows({ ...range, device: 'dev-b', pollutant: 'w21003', everyMs: H });
    const was = before.find((w) => w.ts === hour)!;
    await store.write([reading('dev-b', 'w21003', hour + 30 * M + 1234, 1000)]);
    await store.flushRollups();
    const after = await store.queryWindows({ ...range, device: 'dev-b', pollutant: 'w21003', everyMs: H });
    const is = after.find((w) => w.ts === hour)!;
    expect(is.count).toBe(was.count + 1);
    expect(is.max).toBe(1000);
    expect(is.mean).toBeCloseTo((was.mean * was.count + 1000) / (was.count + 1), 9);
    expectSameWindows(await store.queryWindows({ ...range, everyMs: DAY }), await raw.queryWindows({ ...range, everyMs: DAY }));
  });

  it('folds in a late message written as the ingester writes it (encoded ahead, one device, spanning hours)', async () => {
    // An outbox replay: one message of dev-c, its readings three hours apart, each in an hour the rollups hold already.
    const first = Math.floor(historyFrom / H) * H + 12 * H;
    const message = [0, 3, 6].map((h) => reading('dev-c', 'w21003', first + h * H + 17 * M + 1234, 900 + h));
    const before = await store.queryWindows({ ...range, device: 'dev-c', pollutant: 'w21003', everyMs: H });
    await store.writeEncoded([encodeReadings(message)]);
    await store.flushRollups();
    const after = await store.queryWindows({ ...range, device: 'dev-c', pollutant: 'w21003', everyMs: H });
    for (const [h, r] of [0, 3, 6].map((x, i) => [x, message[i]!] as const)) {
      const was = before.find((w) => w.ts === first + h * H)!;
      const is = after.find((w) => w.ts === first + h * H)!;
      expect([is.count, is.max]).toEqual([was.count + 1, r.value]);
    }
    expectSameWindows(await store.queryWindows({ ...range, everyMs: H }), await raw.queryWindows({ ...range, everyMs: H }));
  });

  it('has a reading 20 minutes late in the charts at once (the continuous query would only take it at its next run)', async () => {
    const ts = Math.floor((now - 20 * M) / M) * M + 7_000;
    await store.write([reading('dev-a', 'w21003', ts, 77)]);
    await store.flushRollups();
    const recent = { fromMs: now - 30 * M, toMs: now + M, limit: 10_000 };
    for (const everyMs of [M, H]) expectSameWindows(await store.queryWindows({ ...recent, everyMs }), await raw.queryWindows({ ...recent, everyMs }));
  });

  it('answers a query right after a late write with the late reading in it, without waiting for the rebuild to be asked', async () => {
    const hour = Math.floor(historyFrom / H) * H + 20 * H;
    await store.write([reading('dev-b', 'w01018', hour + 10 * M, 5000)]);
    // No flushRollups(): the store itself holds the query until the rebuild is done, or reads the raw readings.
    const query = { fromMs: hour - H, toMs: hour + 2 * H, limit: 1000, everyMs: H };
    expect((await store.queryWindows(query)).find((w) => w.device === 'dev-b' && w.pollutant === 'w01018' && w.ts === hour)!.max).toBe(5000);
    expectSameWindows(await store.queryWindows(query), await raw.queryWindows(query));
  });

  it('catches up with readings written around it once an operator rebuilds the range', async () => {
    const hour = Math.floor(historyFrom / H) * H + 9 * H;
    // Written without the store's backfill (as another writer would): the rollups do not know them yet.
    await raw.write([reading('dev-c', 'w01018', hour + 5 * M, -50), reading('dev-c', 'w01018', hour + 6 * M, -60)]);
    const stale = await store.queryWindows({ ...range, everyMs: H });
    expect(stale.find((w) => w.device === 'dev-c' && w.pollutant === 'w01018' && w.ts === hour)!.min).not.toBe(-60);
    await store.rebuildRollups({ fromMs: hour, toMs: hour + H });
    expectSameWindows(await store.queryWindows({ ...range, everyMs: H }), await raw.queryWindows({ ...range, everyMs: H }));
  });

  it('backfills readings that were there before the rollups, on first use', async () => {
    // A database made by a store without rollups, then opened by one with them.
    const older = await createInfluxStore({ url: influxd.url, database: 'older', rollups: false });
    await older.write(samples(historyFrom, historyFrom + 3 * H));
    const upgraded = await createInfluxStore({ url: influxd.url, database: 'older' });
    const query = { fromMs: historyFrom - H, toMs: historyFrom + 4 * H, limit: 100, everyMs: H };
    expectSameWindows(await upgraded.queryWindows(query), await older.queryWindows(query));
  });
});
