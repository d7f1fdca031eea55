/**
 * The dashboards' chart query over a month of a region: 30 days of 50 outfalls (flow, COD,
 * NH3-N, one sample a minute by default) loaded into a real InfluxDB (Debian's influxd) through
 * the reading store (which backfills its rollups as the old readings arrive), then the bureau's
 * chart query for all of them through the HTTP API (`every=auto`: one window per hour, at most
 * 1,000 points per series) read from the rollups, against the same query over the raw readings
 * (a store with `rollups: false` on the same database, its own API) and a baseline: the raw
 * readings of one outfall for one day. Prints one JSON line last.
 *
 *   node bench/dist/dashboard-query.js [--outfalls 50] [--days 30] [--sample-s 60] [--runs 5]
 */
import { parseArgs } from 'node:util';
import { startApiServer } from '@qingliu/cloud/http/api-server';
import { hashApiToken } from '@qingliu/cloud/http/roles';
import { DeviceRegistry } from '@qingliu/cloud/registry/device-registry';
import { createInfluxStore } from '@qingliu/cloud/store/influx-store';
import type { StoredReading } from '@qingliu/cloud/ports/reading-store';
import { generateDeviceKeyPair } from '@qingliu/protocol';
import type { PollutantCode } from '@qingliu/protocol';
import { startInfluxd } from '@qingliu/testkit';

const { values } = parseArgs({
  options: {
    outfalls: { type: 'string', default: '50' },
    days: { type: 'string', default: '30' },
    'sample-s': { type: 'string', default: '60' },
    runs: { type: 'string', default: '5' },
  },
});
const outfallCount = Number(values.outfalls);
const days = Number(values.days);
const sampleMs = Number(values['sample-s']) * 1000;
const runs = Number(values.runs);
const DAY = 86_400_000;
const POLLUTANTS: [PollutantCode, string, number][] = [['w00000', 'm3/h', 150], ['w01018', 'mg/L', 45], ['w21003', 'mg/L', 3]];
const TOKEN = 'bench-bureau-token';

const influxd = await startInfluxd();
const store = await createInfluxStore({ url: influxd.url, database: 'qingliu', timeoutMs: 600_000 });
const rawStore = await createInfluxStore({ url: influxd.url, database: 'qingliu', timeoutMs: 600_000, rollups: false });
const outfalls = Array.from({ length: outfallCount }, (_, i) => ({
  enterprise: `ent-${String(Math.floor(i / 5)).padStart(2, '0')}`,
  outfall: `out-${String(i).padStart(3, '0')}`,
  device: `dev-${String(i).padStart(3, '0')}`,
}));
const registry = new DeviceRegistry(outfalls.map((o) => ({ ...o, publicKey: generateDeviceKeyPair().publicKeyHex, sampleIntervalMs: sampleMs })));
const to = Math.floor(Date.now() / DAY) * DAY;
const from = to - days * DAY;

// Load: one writer per outfall at a time, two in flight, 5,000 points a write.
const loadStart = process.hrtime.bigint();
let points = 0;
async function loadOutfall(index: number): Promise<void> {
  const o = outfalls[index]!;
  let batch: StoredReading[] = [];
  let seq = 0;
  for (let ts = from; ts < to; ts += sampleMs) {
    const phase = (ts / DAY) * 2 * Math.PI + index;
    for (const [pollutant, unit, base] of POLLUTANTS) {
      batch.push({ ...o, pollutant, unit, value: base * (1 + 0.3 * Math.sin(phase)), ts, seq: seq++, flag: 'N', batch: Math.floor(ts / 3_600_000) });
    }
    if (batch.length >= 5000) {
      await store.write(batch);
      points += batch.length;
      batch = [];
    }
  }
  await store.write(batch);
  points += batch.length;
}
let nextOutfall = 0;
await Promise.all(
  [0, 1].map(async () => {
    while (nextOutfall < outfalls.length) await loadOutfall(nextOutfall++);
  }),
);
await store.flushRollups(); // the month is late data: its rollup buckets are rebuilt behind the writes
const loadSeconds = Number(process.hrtime.bigint() - loadStart) / 1e9;

const startApi = (readingStore: typeof store) =>
  startApiServer({
    store: readingStore,
    registry,
    metrics: { ingest: () => ({}) as never, batchesSettled: () => 0 },
    status: async () => ({}),
    tokens: [{ sha256: hashApiToken(TOKEN), role: 'bureau' }],
  });
const api = await startApi(store);
const rawApi = await startApi(rawStore);

type Body = { error?: string; windows?: { device: string; pollutant: string; ts: number; mean: number }[]; readings?: unknown[]; everyMs?: number };
async function timed(base: string, path: string): Promise<{ ms: number; body: Body }> {
  const start = process.hrtime.bigint();
  const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const body = (await response.json()) as Body;
  if (!response.ok) throw new Error(`${path}: ${response.status} ${body.error}`);
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, body };
}

// The charts' query (means per window, every=auto) at 1,000 points (a full-width chart: the enterprise view)
// and at 400 (the bureau view's three charts a row); all four aggregates at 1,000 for comparison. Each from the
// rollups (api) and from the raw readings (rawApi), alternating, so both see the same machine.
const range = `from=${from}&to=${to}&every=auto&limit=100000`;
const variants = {
  chart_1000: `/api/v1/readings?${range}&fields=mean&points=1000`,
  chart_400: `/api/v1/readings?${range}&fields=mean&points=400`,
  all_aggregates_1000: `/api/v1/readings?${range}&points=1000`,
};
const rawPath = `/api/v1/readings?device=${outfalls[0]!.device}&from=${to - DAY}&to=${to}&limit=100000`;
const paths = Object.values(variants);
for (const path of paths) await timed(api.url, path); // warm up (InfluxDB's caches, the TSM index)
for (const path of [...paths, rawPath]) await timed(rawApi.url, path);
const times: Record<string, number[]> = { raw: [], ...Object.fromEntries(Object.keys(variants).flatMap((k) => [[k, []], [`${k}_raw`, []]])) };
const shapes: Record<string, { windows: number; series: number; maxPerSeries: number; everyMs: number; maxMeanDiff: number }> = {};
let rawRows = 0;
for (let run = 0; run < runs; run += 1) {
  for (const [name, path] of Object.entries(variants)) {
    const c = await timed(api.url, path);
    times[name]!.push(c.ms);
    const r = await timed(rawApi.url, path);
    times[`${name}_raw`]!.push(r.ms);
    const perSeries = new Map<string, number>();
    for (const w of c.body.windows ?? []) perSeries.set(`${w.device}/${w.pollutant}`, (perSeries.get(`${w.device}/${w.pollutant}`) ?? 0) + 1);
    // The rollups must answer what the raw readings answer (same windows, means to floating tolerance).
    const rw = r.body.windows ?? [];
    const cw = c.body.windows ?? [];
    if (rw.length !== cw.length || cw.some((w, i) => w.ts !== rw[i]!.ts || w.device !== rw[i]!.device)) throw new Error(`${name}: the rollups answered other windows than the raw readings`);
    const maxMeanDiff = Math.max(0, ...cw.map((w, i) => Math.abs(w.mean - rw[i]!.mean) / Math.max(1, Math.abs(w.mean))));
    shapes[name] = { windows: cw.length, series: perSeries.size, maxPerSeries: Math.max(...perSeries.values()), everyMs: c.body.everyMs ?? 0, maxMeanDiff };
  }
  const r = await timed(rawApi.url, rawPath);
  times.raw!.push(r.ms);
  rawRows = r.body.readings?.length ?? 0;
}
await api.close();
await rawApi.close();
await influxd.stop();

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const spread = (xs: number[]): string => `${Math.round(Math.min(...xs))}/${Math.round(median(xs))}/${Math.round(Math.max(...xs))} ms`;
console.log(`loaded ${points} points (${outfallCount} outfalls x ${POLLUTANTS.length} series x ${days} days at ${sampleMs / 1000} s) in ${loadSeconds.toFixed(1)} s`);
for (const [name, shape] of Object.entries(shapes)) {
  const rolled = median(times[name]!);
  const rawMedian = median(times[`${name}_raw`]!);
  console.log(
    `${name.padEnd(20)} all outfalls: ${shape.windows} windows, ${shape.series} series, <= ${shape.maxPerSeries} points each, ` +
      `window ${shape.everyMs / 60_000} min (largest relative difference of a mean ${shape.maxMeanDiff.toExponential(1)}): ` +
      `rollups min/median/max ${spread(times[name]!)}, raw readings ${spread(times[`${name}_raw`]!)}: ${(rawMedian / rolled).toFixed(1)}x faster`,
  );
}
console.log(`${'baseline'.padEnd(20)} raw readings of one outfall-day (${rawRows} rows): min/median/max ${spread(times.raw!)}`);
const raw = median(times.raw!);
console.log(
  JSON.stringify({
    ...Object.fromEntries(Object.keys(variants).flatMap((name) => [[`${name}_ms`, Math.round(median(times[name]!))], [`${name}_raw_ms`, Math.round(median(times[`${name}_raw`]!))]])),
    chart_1000_raw_over_rollups: Number((median(times.chart_1000_raw!) / median(times.chart_1000!)).toFixed(1)),
    raw_outfall_day_ms: Math.round(raw),
    chart_1000_vs_raw_outfall_day: Number((median(times.chart_1000!) / raw).toFixed(1)),
    load_s: Number(loadSeconds.toFixed(1)),
    points,
    outfalls: outfallCount,
    days,
    runs,
  }),
);
