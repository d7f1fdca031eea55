/**
 * POST /api/v1/traceability on a simulated river (firmware-sim) whose culprit is known: the
 * outfalls' series sent in the body, and read from a real InfluxDB where they were stored as
 * readings first. The bureau only; input the ranking cannot judge is a 400 that says why.
 */
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { exampleRiverEvent } from '@qingliu/firmware-sim';
import { generateDeviceKeyPair } from '@qingliu/protocol';
import type { PollutantCode } from '@qingliu/protocol';
import { startInfluxd } from '@qingliu/testkit';
import type { InfluxdServer } from '@qingliu/testkit';
import type { UpstreamSource } from '@qingliu/analytics';
import { emptyIngestStats } from '../ingest/ingest-stats.js';
import type { ReadingStore, StoredReading } from '../ports/reading-store.js';
import { DeviceRegistry } from '../registry/device-registry.js';
import { createInfluxStore } from '../store/influx-store.js';
import { startApiServer } from './api-server.js';
import type { ApiServer } from './api-server.js';
import { registerErrorHandler } from './error-handler.js';
import { hashApiToken, registerApiRoles } from './roles.js';
import { TRACE_BODY_LIMIT, traceabilityRoutes } from './traceability-routes.js';
import type { TraceabilityAnswer } from './traceability-routes.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
// Four plants upstream of the station; ent-c-dw001 dumps untreated water on the third day at 10:20 for 50 minutes.
const CASE = exampleRiverEvent();
const { outfalls: OUTFALLS, culprit: CULPRIT, travelMinutes: TRAVEL_MINUTES, stepMs: STEP } = CASE;
const DUMP = { start: CASE.dump.start, minutes: (CASE.dump.end - CASE.dump.start) / MINUTE };
/** The window an inspector gives: around the arrival, a little loose. */
const EVENT = { start: DUMP.start + TRAVEL_MINUTES * MINUTE - 15 * MINUTE, end: DUMP.start + (DUMP.minutes + TRAVEL_MINUTES + 20) * MINUTE };
const OPTIONS = { velocityMs: { min: 0.3, max: 1.5 } };

const TOKENS = { bureau: 'tok-bureau-trace', 'ent-c': 'tok-ent-c-trace' } as const;
type Who = keyof typeof TOKENS | 'public';

const registry = new DeviceRegistry(
  OUTFALLS.map((o) => ({ device: `${o.id}-mon`, enterprise: o.id.slice(0, 5), outfall: o.id, publicKey: generateDeviceKeyPair().publicKeyHex, sampleIntervalMs: STEP })),
);
const tokens = [
  { sha256: hashApiToken(TOKENS.bureau), role: 'bureau' as const },
  { sha256: hashApiToken(TOKENS['ent-c']), role: 'enterprise' as const, enterprise: 'ent-c' },
];

const { samples } = CASE;

const stationBody = (): Record<string, unknown> => ({ ts: samples.station.ts, values: samples.station.cod, riverFlow: samples.station.flow, pollutant: 'w01018' });
const withSeries = (): Record<string, unknown>[] =>
  samples.outfalls.map((o) => ({ outfall: o.id, distanceKm: o.distanceKm, ts: o.ts, flow: o.flow, concentration: o.cod }));

async function post(url: string, who: Who, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/api/v1/traceability`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(who === 'public' ? {} : { authorization: `Bearer ${TOKENS[who]}` }) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function expectCulpritFirst(answer: TraceabilityAnswer): UpstreamSource {
  const [top, ...rest] = answer.ranking;
  expect(answer.ranking.map((r) => r.outfall).sort()).toEqual(OUTFALLS.map((o) => o.id));
  expect(top).toMatchObject({ outfall: CULPRIT, verdict: 'likely source' });
  expect(Math.abs(top!.lagMinutes - TRAVEL_MINUTES)).toBeLessThanOrEqual(STEP / MINUTE);
  expect(top!.explainedShare).toBeGreaterThan(0.6);
  expect(top!.explanation).toMatch(new RegExp(`^${CULPRIT}'s load rose to [\\d.]+x its usual .* min later the station's COD rose [\\d.]+ mg/L; lag matches 7\\.5 km at [\\d.]+ m/s; .*: likely source\\.$`));
  for (const other of rest) expect(other.verdict).toBe('not explained');
  return top!;
}

describe('POST /api/v1/traceability with the outfalls\' series in the body', () => {
  let app: FastifyInstance;
  let url: string;
  const untouched: ReadingStore['queryMeans'] = async () => {
    throw new Error('the store must not be read when every series is in the body');
  };

  beforeAll(async () => {
    app = Fastify();
    registerErrorHandler(app);
    registerApiRoles(app, { tokens, registry });
    await traceabilityRoutes(app, { store: { queryMeans: untouched }, registry });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => app.close());

  it('ranks the outfall that dumped first, at its travel time, as the likely source with a sentence that says so', async () => {
    const { status, body } = await post(url, 'bureau', { station: stationBody(), event: EVENT, outfalls: withSeries(), options: OPTIONS });
    expect(status).toBe(200);
    const answer = body as unknown as TraceabilityAnswer;
    expect(answer).toMatchObject({ pollutant: 'w01018', event: EVENT, stored: [] });
    expectCulpritFirst(answer);
  });

  it('takes the event window as ISO 8601 and missing samples as null', async () => {
    const values = samples.station.cod.map((v, i) => (i % 37 === 5 ? null : v));
    const event = { start: new Date(EVENT.start).toISOString(), end: new Date(EVENT.end).toISOString() };
    const { status, body } = await post(url, 'bureau', { station: { ...stationBody(), values }, event, outfalls: withSeries(), options: OPTIONS });
    expect(status).toBe(200);
    expect((body as unknown as TraceabilityAnswer).ranking[0]!.outfall).toBe(CULPRIT);
  });

  it('refuses enterprises (403, the culprit too) and the public (401)', async () => {
    const body = { station: stationBody(), event: EVENT, outfalls: withSeries() };
    expect(await post(url, 'ent-c', body)).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    expect(await post(url, 'public', body)).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
  });

  it.each([
    ['an event with less than a day of history', () => ({ event: { start: samples.station.ts[100]!, end: samples.station.ts[110]! } }), /^station: needs at least 24 h of readings before/],
    [
      'a station that did not rise',
      () => ({ station: { ...stationBody(), values: samples.station.cod.map((v, i) => (samples.station.ts[i]! >= EVENT.start && samples.station.ts[i]! <= EVENT.end ? v - 20 : v)) } }),
      /no rise above its usual level/,
    ],
    ['an event that ends before it starts', () => ({ event: { start: EVENT.end, end: EVENT.start } }), /start <= end/],
    ['an event time that is no time', () => ({ event: { start: 'yesterday-ish', end: EVENT.end } }), /^event\.start: expected ms since the epoch or an ISO 8601 time, got "yesterday-ish"$/],
    ['station series of different lengths', () => ({ station: { ...stationBody(), values: samples.station.cod.slice(1) } }), /^station: ts has \d+ values, values has \d+$/],
    ['an outfall with half its series', () => ({ outfalls: [{ outfall: CULPRIT, ts: samples.outfalls[2]!.ts, flow: samples.outfalls[2]!.flow }] }), /give ts, flow and concentration together/],
    ['an outfall neither sent nor enrolled', () => ({ outfalls: [{ outfall: 'ent-z-dw009' }] }), /^outfall ent-z-dw009 is not enrolled: send its series/],
    ['a bad velocity range', () => ({ options: { velocityMs: { min: 2, max: 1 } } }), /velocityMs needs 0 < min <= max/],
  ] as [string, () => Record<string, unknown>, RegExp][])('answers 400 with the reason for %s', async (_, spoil, message) => {
    const { status, body } = await post(url, 'bureau', { station: stationBody(), event: EVENT, outfalls: withSeries(), options: OPTIONS, ...spoil() });
    expect(status).toBe(400);
    expect(body['code']).toBe('BAD_OPTION');
    expect(body['error']).toMatch(message);
  });

  it('answers 400 for a body that is not the schema, and 413 for one over the limit', async () => {
    expect((await post(url, 'bureau', { event: EVENT, outfalls: withSeries() })).status).toBe(400);
    expect((await post(url, 'bureau', { station: stationBody(), event: EVENT, outfalls: [] })).status).toBe(400);
    expect((await post(url, 'bureau', { station: { ...stationBody(), pollutant: 'w01001' }, event: EVENT, outfalls: withSeries() })).status).toBe(400);
    const huge = JSON.stringify({ station: stationBody(), event: EVENT, outfalls: withSeries(), pad: 'x'.repeat(TRACE_BODY_LIMIT) });
    expect((await post(url, 'bureau', huge)).status).toBe(413);
  });
});

describe('POST /api/v1/traceability with the outfalls read from InfluxDB', () => {
  let influxd: InfluxdServer;
  let api: ApiServer;

  beforeAll(async () => {
    influxd = await startInfluxd();
    const store = await createInfluxStore({ url: influxd.url, database: 'qingliu' });
    // The river's outfall series as the ingester would have stored them: flow and COD per sample.
    const readings: StoredReading[] = samples.outfalls.flatMap((o) => {
      const base = { enterprise: o.id.slice(0, 5), outfall: o.id, device: `${o.id}-mon`, flag: 'N' as const, batch: 1 };
      return o.ts.flatMap((ts, i) => [
        { ...base, ts, seq: 2 * i, pollutant: 'w00000' as PollutantCode, unit: 'm3/h', value: o.flow[i]! },
        { ...base, ts, seq: 2 * i + 1, pollutant: 'w01018' as PollutantCode, unit: 'mg/L', value: o.cod[i]! },
      ]);
    });
    for (let i = 0; i < readings.length; i += 5000) await store.write(readings.slice(i, i + 5000));
    // Readings this old are late: their rollup buckets are rebuilt behind the writes.
    await store.flushRollups();
    api = await startApiServer({
      store,
      registry,
      tokens,
      metrics: { ingest: () => emptyIngestStats(), batchesSettled: () => 0 },
      status: async () => ({}),
    });
  }, 30_000);
  afterAll(async () => {
    await api?.close();
    await influxd?.stop();
  });

  it('reads each outfall\'s flow and COD on the station\'s grid and ranks the culprit first', async () => {
    const outfalls = OUTFALLS.map((o) => ({ outfall: o.id, distanceKm: o.distanceKm }));
    const { status, body } = await post(api.url, 'bureau', { station: stationBody(), event: EVENT, outfalls, options: OPTIONS });
    expect([status, body['error']]).toEqual([200, undefined]);
    const answer = body as unknown as TraceabilityAnswer;
    expectCulpritFirst(answer);
    // What it read is what was stored, sample for sample, on the station's times.
    expect(answer.stored.map((s) => s.outfall)).toEqual(OUTFALLS.map((o) => o.id));
    const culprit = answer.stored.find((s) => s.outfall === CULPRIT)!;
    const sent = samples.outfalls.find((o) => o.id === CULPRIT)!;
    const first = sent.ts.indexOf(culprit.ts[0]!);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(culprit.ts.every((t, k) => t === samples.station.ts[0]! + (first + k) * STEP)).toBe(true);
    const inRange = culprit.ts.filter((t) => t < sent.ts.at(-1)! + 1);
    expect(inRange.length).toBeGreaterThan(400);
    inRange.forEach((_, k) => {
      expect(culprit.flow[k]).toBeCloseTo(sent.flow[first + k]!, 6);
      expect(culprit.concentration[k]).toBeCloseTo(sent.cod[first + k]!, 6);
    });
  });

  it('finds the same source, lag and score from the store as from the body', async () => {
    const fromStore = await post(api.url, 'bureau', { station: stationBody(), event: EVENT, outfalls: OUTFALLS.map((o) => ({ outfall: o.id, distanceKm: o.distanceKm })), options: OPTIONS });
    const fromBody = await post(api.url, 'bureau', { station: stationBody(), event: EVENT, outfalls: withSeries(), options: OPTIONS });
    const [a, b] = [fromStore, fromBody].map((r) => (r.body['ranking'] as UpstreamSource[])[0]!);
    expect([a!.outfall, a!.verdict, a!.lagMinutes]).toEqual([b!.outfall, b!.verdict, b!.lagMinutes]);
    // The store's series start later (2 days before the event), so each usual day is learnt from a little less history.
    expect(Math.abs(a!.score - b!.score)).toBeLessThan(0.05);
  });

  it('says so when the store holds no readings of an enrolled outfall around the event', async () => {
    const later = { start: EVENT.start + 30 * DAY, end: EVENT.end + 30 * DAY };
    const ts = samples.station.ts.map((t) => t + 30 * DAY);
    const { status, body } = await post(api.url, 'bureau', { station: { ...stationBody(), ts }, event: later, outfalls: [{ outfall: CULPRIT, distanceKm: 7.5 }], options: OPTIONS });
    expect(status).toBe(400);
    expect(body['error']).toMatch(/^outfall ent-c-dw001: the store has no flow \(w00000\) or COD \(w01018\) readings from 2024-/);
  });

  it('is registered by startApiServer for the bureau only', async () => {
    const body = { station: stationBody(), event: EVENT, outfalls: withSeries() };
    expect((await post(api.url, 'ent-c', body)).status).toBe(403);
    expect((await post(api.url, 'public', body)).status).toBe(401);
  });
});
