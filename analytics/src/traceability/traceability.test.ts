import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createRiver, sampleRiver, uniform } from '@qingliu/firmware-sim';
import type { RiverOptions, RiverSamples, ScenarioEvent } from '@qingliu/firmware-sim';
import { useTempDir } from '@qingliu/testkit';
import { DetectionError } from '../detectors/detector.js';
import { defaultTraceOptions, rankUpstreamSources } from './traceability.js';
import type { TraceOutfall, TraceStation } from './traceability.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const STEP = 5 * MINUTE;
// Midnight, 2024-06-01, China Standard Time (UTC+8).
const MIDNIGHT_CST = Date.UTC(2024, 4, 31, 16, 0, 0);
// The inspector's velocity range for these rivers (the simulated ones run 0.4-1.2 m/s).
const VELOCITY = { min: 0.3, max: 1.5 };

interface RiverCase {
  readonly seed: number;
  readonly samples: RiverSamples;
  readonly culprit: string;
  readonly culpritEvent: ScenarioEvent;
  readonly innocent?: string;
  readonly travelMinutes: number;
  readonly distanceKm: number;
  /** The window the inspector gives: around the arrival, with a sloppy margin of 0-45 minutes on each side. */
  readonly window: { start: number; end: number };
  /** How far the culprit's event alone raised the station's COD (noiseless), mg/L. */
  readonly rise: number;
  readonly options: RiverOptions;
}

/**
 * A river of 4-8 outfalls at random distances (0.5-12 km), one of which
 * discharges on day 5 (a bypass dump on odd seeds, a COD spike x4-6 on even
 * ones); on every third seed another outfall has a smaller spike (x2) 14-20 h
 * away, beyond any lag the river allows. Four days of history come first.
 */
function riverCase(seed: number): RiverCase {
  let c = built.get(seed);
  if (!c) built.set(seed, (c = buildRiverCase(seed)));
  return c;
}
const built = new Map<number, RiverCase>();

function buildRiverCase(seed: number): RiverCase {
  const u = (channel: number): number => uniform(seed, channel, 0);
  const n = 4 + Math.floor(u(1) * 5);
  const outfalls = Array.from({ length: n }, (_, i) => ({ id: `ent-${String.fromCharCode(97 + i)}-dw001`, distanceKm: Number((0.5 + 11.5 * u(10 + i)).toFixed(2)), seed: 100 * seed + i }));
  const culpritIndex = Math.floor(u(2) * n);
  const culprit = outfalls[culpritIndex]!.id;
  const start = MIDNIGHT_CST + 4 * DAY + Math.round((6 + 14 * u(3)) * 12) * STEP + Math.round(u(4) * 4) * MINUTE;
  const duration = (30 + Math.round(u(5) * 60)) * MINUTE;
  const culpritEvent: ScenarioEvent = seed % 2
    ? { outfall: culprit, kind: 'bypass-dump', start, end: start + duration }
    : { outfall: culprit, kind: 'spike', pollutant: 'w01018', factor: 4 + 2 * u(6), start, end: start + duration };
  const events = [culpritEvent];
  let innocent: string | undefined;
  if (seed % 3 === 0) {
    innocent = outfalls[(culpritIndex + 1 + Math.floor(u(7) * (n - 1))) % n]!.id;
    const offset = (14 + 6 * u(8)) * HOUR * (u(9) < 0.5 ? -1 : 1);
    events.push({ outfall: innocent, kind: 'spike', pollutant: 'w01018', factor: 2, start: start + offset, end: start + offset + 30 * MINUTE });
  }
  const options: RiverOptions = { seed, outfalls, events, velocity: 0.4 + 0.8 * u(20), baseFlow: 1 + 1.5 * u(21) };
  const river = createRiver(options);
  const travel = river.outfalls[culpritIndex]!.travelTimeMs;
  const samples = sampleRiver(river, MIDNIGHT_CST, MIDNIGHT_CST + 6 * DAY, STEP);
  const window = { start: start + travel - Math.round(u(22) * 45) * MINUTE, end: start + duration + travel + Math.round(u(23) * 45) * MINUTE };
  // The rise the culprit alone caused: the noiseless river with and without its event (the others add the same to both).
  const quiet = (evs: ScenarioEvent[]): number[] =>
    sampleRiver(createRiver({ ...options, outfalls: [outfalls[culpritIndex]!], events: evs, noise: { cod: 0 } }), start + travel - 3 * HOUR, start + travel + 5 * HOUR, STEP).station.cod;
  const withIt = quiet([culpritEvent]);
  const without = quiet([]);
  const rise = Math.max(...withIt.map((v, i) => v - without[i]!));
  return { seed, samples, culprit, culpritEvent, travelMinutes: travel / MINUTE, distanceKm: outfalls[culpritIndex]!.distanceKm, window, rise, options, ...(innocent ? { innocent } : {}) };
}

function stationOf(c: { samples: RiverSamples; window: { start: number; end: number } }, withFlow = true): TraceStation {
  const s = c.samples.station;
  return { ts: s.ts, values: s.cod, event: c.window, ...(withFlow ? { riverFlow: s.flow } : {}) };
}

function outfallsOf(samples: RiverSamples, withDistance = true): TraceOutfall[] {
  return samples.outfalls.map((o) => ({ id: o.id, ts: o.ts, flow: o.flow, concentration: o.cod, ...(withDistance ? { distanceKm: o.distanceKm } : {}) }));
}

// Measured with this generator over seeds 1-300: the culprit ranked first in
// 300 (with and without the river's flow, and with no distances given), its
// lag within one 5-minute step in 293 (median error 1.1 min). The seven
// misses are plumes 30-48 minutes wide after hours of travel, or events
// barely above the station's noise (up to 13.5 min off, for a 0.5 mg/L rise).
// Seeds 1-12 are simply the first twelve.
const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

describe('tracing a station event to its upstream outfall', () => {
  const cases = new Map<number, RiverCase>();
  beforeAll(() => {
    for (const seed of SEEDS) cases.set(seed, riverCase(seed));
  });

  it('tests rivers of 4-8 outfalls whose culprit the station clearly saw', () => {
    for (const c of cases.values()) {
      expect(c.samples.outfalls.length).toBeGreaterThanOrEqual(4);
      expect(c.samples.outfalls.length).toBeLessThanOrEqual(8);
      // Three times the station's noise (0.3 mg/L): an event an inspector would trace.
      expect(c.rise).toBeGreaterThan(0.9);
    }
    expect([...cases.values()].filter((c) => c.innocent).length).toBeGreaterThanOrEqual(4);
  });

  it.each(SEEDS)('river %i: the culprit ranks first, at its travel time within one sample step, and the explanation says so', (seed) => {
    const c = cases.get(seed)!;
    const ranking = rankUpstreamSources(stationOf(c), outfallsOf(c.samples), { velocityMs: VELOCITY });
    const top = ranking[0]!;
    expect(top.outfall).toBe(c.culprit);
    expect(Math.abs(top.lagMinutes - c.travelMinutes)).toBeLessThanOrEqual(STEP / MINUTE);
    expect(top.verdict).toBe('likely source');
    expect(top.explainedShare).toBeGreaterThan(0.6);
    // The load that left the outfall is the event's: the half-peak span lies on the discharge (within a sample).
    expect(top.sourceWindow.start).toBeGreaterThanOrEqual(c.culpritEvent.start - STEP);
    expect(top.sourceWindow.end).toBeLessThanOrEqual(c.culpritEvent.end + STEP);
    expect(top.explanation).toContain(`${c.culprit}'s load rose to`);
    expect(top.explanation).toContain(`${Math.round(top.lagMinutes)} min later the station's COD rose`);
    expect(top.explanation).toMatch(new RegExp(`lag matches ${c.distanceKm >= 10 ? c.distanceKm.toFixed(0) : c.distanceKm.toFixed(1)} km at [\\d.]+ m/s`));
    expect(top.explanation).toMatch(/explains \d+% of the excess/);
    // Every plant follows the same day; none of the others is blamed for it,
    // nor the one with its own smaller event far off in time.
    for (const other of ranking.slice(1)) {
      expect(other.verdict).toBe('not explained');
      expect(other.score).toBeLessThan(defaultTraceOptions.possibleScore);
      expect(other.explanation).toMatch(new RegExp(`^${other.outfall} does not explain the event`));
    }
    expect(ranking.map((r) => r.outfall).sort()).toEqual(c.samples.outfalls.map((o) => o.id).sort());
  });

  it('without the river flow, the culprit still ranks first in every river', () => {
    for (const c of cases.values()) {
      const ranking = rankUpstreamSources(stationOf(c, false), outfallsOf(c.samples), { velocityMs: VELOCITY });
      expect([c.seed, ranking[0]!.outfall]).toEqual([c.seed, c.culprit]);
    }
  });

  it('with no distances known, the culprit ranks first and its lag is found within the configured range', () => {
    for (const c of [...cases.values()].slice(0, 6)) {
      const ranking = rankUpstreamSources(stationOf(c), outfallsOf(c.samples, false), { maxLagMinutes: 600 });
      expect([c.seed, ranking[0]!.outfall]).toEqual([c.seed, c.culprit]);
      expect(Math.abs(ranking[0]!.lagMinutes - c.travelMinutes)).toBeLessThanOrEqual(STEP / MINUTE);
      expect(ranking[0]!.explanation).toContain('distance unknown, lags searched 0-600 min');
    }
  });
});

describe('an event no outfall explains', () => {
  it.each([101, 102, 103])('river %i: a discharge straight into the river leaves every score low, and each explanation says so', (seed) => {
    const u = (channel: number): number => uniform(seed, channel, 0);
    const n = 4 + Math.floor(u(1) * 5);
    const outfalls = Array.from({ length: n }, (_, i) => ({ id: `ent-${String.fromCharCode(97 + i)}-dw001`, distanceKm: Number((0.5 + 11.5 * u(10 + i)).toFixed(2)) }));
    const start = MIDNIGHT_CST + 4 * DAY + Math.round((6 + 14 * u(3)) * 12) * STEP;
    const duration = (30 + Math.round(u(5) * 60)) * MINUTE;
    const distanceKm = 3 * u(6);
    const river = createRiver({ seed, outfalls, velocity: 0.4 + 0.8 * u(20), baseFlow: 1 + 1.5 * u(21), unmonitored: [{ start, end: start + duration, distanceKm, codKgPerH: 30 + 40 * u(7) }] });
    const travel = ((distanceKm * 1000) / river.velocity) * 1000;
    const samples = sampleRiver(river, MIDNIGHT_CST, MIDNIGHT_CST + 5.5 * DAY, STEP);
    const window = { start: start + travel - 15 * MINUTE, end: start + duration + travel + 15 * MINUTE };
    // With the river's flow no outfall's load can reach the rise; without it,
    // only the outfalls' loads staying at their usual level keep them out.
    for (const withFlow of [true, false]) {
      const ranking = rankUpstreamSources(stationOf({ samples, window }, withFlow), outfallsOf(samples), { velocityMs: VELOCITY });
      expect(ranking).toHaveLength(n);
      for (const r of ranking) {
        expect([withFlow, r.outfall, r.verdict]).toEqual([withFlow, r.outfall, 'not explained']);
        expect(r.score).toBeLessThan(defaultTraceOptions.possibleScore);
        expect(r.explanation).toMatch(new RegExp(`^${r.outfall} does not explain the event: its load stayed within its usual range`));
      }
    }
  });
});

describe('bad input', () => {
  let c: RiverCase;
  beforeAll(() => {
    c = riverCase(1);
  });
  const reason = (fn: () => unknown): DetectionError => {
    try {
      fn();
    } catch (error) {
      if (error instanceof DetectionError) return error;
      throw error;
    }
    throw new Error('expected a DetectionError');
  };

  it.each([
    ['station series of different lengths', (s: TraceStation, o: TraceOutfall[]) => [{ ...s, values: s.values.slice(1) }, o], /station: ts has \d+ values, values has \d+/],
    ['an outfall series of different lengths', (s: TraceStation, o: TraceOutfall[]) => [s, [{ ...o[0]!, flow: o[0]!.flow.slice(3) }, ...o.slice(1)]], /flow has/],
    ['a station of NaN only', (s: TraceStation, o: TraceOutfall[]) => [{ ...s, values: s.values.map(() => Number.NaN) }, o], /station: values has no finite values/],
    ['an outfall of NaN only', (s: TraceStation, o: TraceOutfall[]) => [s, [...o.slice(1), { ...o[0]!, concentration: o[0]!.concentration.map(() => Number.NaN) }]], /concentration has no finite values/],
    ['an outfall that does not overlap the event', (s: TraceStation, o: TraceOutfall[]) => [s, [...o.slice(1), { ...o[0]!, ts: o[0]!.ts.map((t) => t - 30 * DAY) }]], /no readings overlap/],
    ['no outfalls', (s: TraceStation) => [s, []], /no outfalls/],
    ['two outfalls with one id', (s: TraceStation, o: TraceOutfall[]) => [s, [...o, o[0]!]], /appears twice/],
    ['an event window that ends before it starts', (s: TraceStation, o: TraceOutfall[]) => [{ ...s, event: { start: s.event.end, end: s.event.start } }, o], /start <= end/],
    ['an event window outside the readings', (s: TraceStation, o: TraceOutfall[]) => [{ ...s, event: { start: s.event.start + 30 * DAY, end: s.event.end + 30 * DAY } }, o], /no finite readings in the event window/],
    ['timestamps out of order', (s: TraceStation, o: TraceOutfall[]) => [{ ...s, ts: [...s.ts].reverse() }, o], /strictly ascending/],
    ['an event with less than a day of history', (s: TraceStation, o: TraceOutfall[]) => [{ ...s, event: { start: s.ts[200]!, end: s.ts[210]! } }, o], /needs at least 24 h of readings/],
    ['a station that did not rise', (s: TraceStation, o: TraceOutfall[]) => [{ ...s, values: s.values.map((v, i) => (s.ts[i]! >= s.event.start && s.ts[i]! <= s.event.end ? v - 20 : v)) }, o], /no rise/],
  ] as [string, (s: TraceStation, o: TraceOutfall[]) => [TraceStation, TraceOutfall[]], RegExp][])('refuses %s with BAD_OPTION', (_, spoil, message) => {
    const [station, outfalls] = spoil(stationOf(c), outfallsOf(c.samples));
    const error = reason(() => rankUpstreamSources(station, outfalls));
    expect(error.code).toBe('BAD_OPTION');
    expect(error.message).toMatch(message);
  });

  it.each([
    [{ velocityMs: { min: 0, max: 1 } }, /velocityMs/],
    [{ velocityMs: { min: 2, max: 1 } }, /velocityMs/],
    [{ minLagMinutes: 60, maxLagMinutes: 30 }, /minLagMinutes <= maxLagMinutes/],
    [{ spreadMinutes: [] }, /spreadMinutes/],
    [{ likelyScore: 0.1, possibleScore: 0.5 }, /possibleScore <= likelyScore/],
  ])('refuses bad options %j with BAD_OPTION', (options, message) => {
    const error = reason(() => rankUpstreamSources(stationOf(c), outfallsOf(c.samples), options));
    expect(error.code).toBe('BAD_OPTION');
    expect(error.message).toMatch(message);
  });
});

describe('trace CLI', () => {
  const dir = useTempDir('qingliu-trace');
  const iso = (t: number): string => new Date(t).toISOString();

  async function writeCase(c: RiverCase): Promise<{ station: string; outfalls: string }> {
    const s = c.samples.station;
    const station = join(dir(), 'station.csv');
    await writeFile(station, `ts,cod,nh3n,flow\n${s.ts.map((t, i) => `${iso(t)},${s.cod[i]!.toFixed(3)},${s.nh3n[i]!.toFixed(4)},${s.flow[i]!.toFixed(3)}`).join('\n')}\n`);
    const rows = c.samples.outfalls.flatMap((o) => o.ts.map((t, i) => `${iso(t)},${o.id},${o.flow[i]!.toFixed(2)},${o.cod[i]!.toFixed(3)},${o.nh3n[i]!.toFixed(4)},${i === 0 ? o.distanceKm : ''}`));
    const outfalls = join(dir(), 'outfalls.csv');
    await writeFile(outfalls, `ts,outfall,flow,cod,nh3n,distance_km\n${rows.join('\n')}\n`);
    return { station, outfalls };
  }

  it('reads the station and outfall CSVs and prints the ranking as JSON lines, best first', async () => {
    const c = riverCase(2);
    const files = await writeCase(c);
    const { stdout } = await run(process.execPath, [join(here, '../cli/trace.js'), '--station', files.station, '--outfalls', files.outfalls, '--start', iso(c.window.start), '--end', iso(c.window.end), '--velocity', '0.3-1.5']);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(c.samples.outfalls.length);
    expect(Object.keys(lines[0]!)).toEqual(['outfall', 'score', 'lagMinutes', 'correlation', 'explainedShare', 'verdict', 'explanation']);
    expect(lines[0]!['outfall']).toBe(c.culprit);
    expect(Math.abs((lines[0]!['lagMinutes'] as number) - c.travelMinutes)).toBeLessThanOrEqual(STEP / MINUTE);
    expect(lines[0]!['explanation']).toMatch(/station's COD rose .* km at .* m\/s/);
  });

  it('exits 2 with the reason on a bad file or missing arguments', async () => {
    await writeFile(join(dir(), 'bad.csv'), 'time,cod\n1,2\n');
    await expect(run(process.execPath, [join(here, '../cli/trace.js'), '--station', join(dir(), 'bad.csv'), '--outfalls', join(dir(), 'bad.csv'), '--start', '0', '--end', '1'])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/ts column/) });
    await expect(run(process.execPath, [join(here, '../cli/trace.js'), '--station', join(dir(), 'bad.csv')])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/usage: trace/) });
  });
});
