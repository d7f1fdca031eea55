/**
 * Pollution traceability (污水溯源): a river monitoring station saw an event;
 * which upstream outfall's discharge explains it, and how well?
 *
 * Every plant's load follows the same day (low at night, high by day), so raw
 * loads all correlate with the station and with each other. Each series is
 * therefore first turned into an excess over its own usual: the robust median,
 * over the history before the event, of its values at the same time of day.
 *
 * Then, for each outfall, its excess load (flow x concentration) is shifted by
 * every lag the river allows (its distance over a velocity range; a
 * configured range when the distance is unknown), spread by a few dispersion
 * widths (a plume arrives lower and wider than it left), and correlated with
 * the station's excess around the event. The best lag and width of every
 * outfall go into one non-negative least-squares fit of the station's excess
 * on all of them, which splits the excess between the outfalls; when the
 * river's flow is known, no outfall may account for more than its load can do
 * in that much water. The score is the product of the shape match
 * (correlation), the share of the excess accounted for, and whether the
 * outfall's load really left its usual range (robust z): a plant whose
 * load was as usual explains nothing, however its noise lines up.
 */
import { DetectionError } from '../detectors/detector.js';
import { MAD_TO_SIGMA, mad, median } from '../series/robust-stats.js';
import { boundedLeastSquares, clamp01, finiteSum, indicesIn, interpolate, lowerBound, pearson, samplingInterval, spread } from '../series/series-math.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

// Held locally: the lag search runs these millions of times, and a lookup on
// the global object (Math.exp) costs tens of times more inside jest's vm contexts.
const { abs, ceil, max, round } = Math;
const finite = Number.isFinite;

/** One pollutant at the river station. */
export interface TraceStation {
  /** Sample times, ms since the epoch, ascending. */
  readonly ts: readonly number[];
  /** The pollutant's concentration, same length as `ts`; NaN where missing. */
  readonly values: readonly number[];
  /** River flow at the station, m3/s, same length as `ts`. When given, caps each outfall's share at what its load can do in that flow. */
  readonly riverFlow?: readonly number[];
  /** When the station saw the event, ms since the epoch (both ends included). */
  readonly event: { readonly start: number; readonly end: number };
  /** The pollutant's name in the explanation. Default 'COD'. */
  readonly pollutant?: string;
  /** Its unit in the explanation. Default 'mg/L'. */
  readonly unit?: string;
}

/** One upstream outfall's readings, in the units the cloud stores. */
export interface TraceOutfall {
  readonly id: string;
  /** Distance along the river down to the station, km. Narrows the lags searched to distance / velocity range. */
  readonly distanceKm?: number;
  /** Sample times, ms since the epoch, ascending. */
  readonly ts: readonly number[];
  /** Discharge flow, m3/h. */
  readonly flow: readonly number[];
  /** Concentration of the station's pollutant, mg/L. */
  readonly concentration: readonly number[];
}

export interface TraceOptions {
  /** Plausible mean river velocities, m/s: lags searched are distance / max .. distance / min. */
  readonly velocityMs: { readonly min: number; readonly max: number };
  /** Lags searched for an outfall of unknown distance, minutes. */
  readonly minLagMinutes: number;
  readonly maxLagMinutes: number;
  /** Station samples this long before and after the event also take part in the fit (a match must rise and fall with it), minutes. */
  readonly contextMinutes: number;
  /** Width of the time-of-day window the usual value is the median of, minutes. */
  readonly baselineWindowMinutes: number;
  /** Least history before the event (its span), hours: one day shows every time of day. */
  readonly minHistoryHours: number;
  /** Dispersion widths tried on each outfall's load (standard deviation of a Gaussian), minutes. */
  readonly spreadMinutes: readonly number[];
  /** How far above the dilution limit (load / river flow) a fitted coefficient may go, for timing and shape misfit. */
  readonly dilutionTolerance: number;
  /** Score from which an outfall is called the likely source. */
  readonly likelyScore: number;
  /** Score from which an outfall is called a possible contributor; below: it does not explain the event. */
  readonly possibleScore: number;
  /** Local time of the explanation's clock times, hours east of UTC. */
  readonly utcOffsetHours: number;
}

export const defaultTraceOptions: TraceOptions = {
  velocityMs: { min: 0.2, max: 2 },
  minLagMinutes: 0,
  maxLagMinutes: 360,
  contextMinutes: 120,
  baselineWindowMinutes: 60,
  minHistoryHours: 24,
  spreadMinutes: [0, 5, 10, 20, 40],
  dilutionTolerance: 1.5,
  likelyScore: 0.5,
  possibleScore: 0.2,
  utcOffsetHours: 8,
};

/**
 * A load peak this many robust standard deviations above its usual counts for
 * nothing, and RISE_Z_FULL and above count fully (linear between). Not the
 * usual 3: the lag search picks the most favourable window, and a plant's
 * drift lasts hours, so an ordinary load reaches 4 now and then.
 */
const RISE_Z_NONE = 4;
const RISE_Z_FULL = 10;

export type TraceVerdict = 'likely source' | 'possible contributor' | 'not explained';

export interface UpstreamSource {
  readonly outfall: string;
  /** 0..1: correlation x explained share x how far the load left its usual range. */
  readonly score: number;
  /** Travel time that fits best, minutes. */
  readonly lagMinutes: number;
  /** Pearson correlation of the lagged excess load with the station's excess around the event. */
  readonly correlation: number;
  /** Fraction (0..1) of the station's excess over the event window that this outfall's lagged excess load accounts for. */
  readonly explainedShare: number;
  readonly verdict: TraceVerdict;
  /** A sentence an inspector can read. */
  readonly explanation: string;
  /** Peak load over its usual for that time of day, while the event's water left the outfall (1: as usual). */
  readonly riseFactor: number;
  /** That peak's excess in robust standard deviations of the outfall's usual variation. */
  readonly riseZ: number;
  /** Dispersion width that fitted best, minutes. */
  readonly spreadMinutes: number;
  /** When the excess load left the outfall (half-peak span), ms since the epoch. */
  readonly sourceWindow: { readonly start: number; readonly end: number };
  /** Distance / lag, m/s, when the distance is known. */
  readonly impliedVelocityMs?: number;
}

const bad = (message: string): DetectionError => new DetectionError('BAD_OPTION', message);

/**
 * Ranks the upstream outfalls by how well their discharge explains the
 * station's event, best first. Throws DetectionError('BAD_OPTION') on input it
 * cannot judge: series of different lengths, no finite values, outfalls whose
 * readings do not overlap the lags searched, too little history, no rise at
 * the station in the event window, bad options.
 */
export function rankUpstreamSources(station: TraceStation, outfalls: readonly TraceOutfall[], options: Partial<TraceOptions> = {}): UpstreamSource[] {
  const o = checkOptions({ ...defaultTraceOptions, ...options });
  checkSeries('station', station.ts, { values: station.values, ...(station.riverFlow ? { riverFlow: station.riverFlow } : {}) });
  const { start, end } = station.event;
  if (!(finite(start) && finite(end) && start <= end)) throw bad(`station: event window needs start <= end (ms), got ${start}, ${end}`);
  if (outfalls.length === 0) throw bad('no outfalls to rank');
  const ids = new Set<string>();
  for (const f of outfalls) {
    if (typeof f.id !== 'string' || f.id === '') throw bad('outfall: empty id');
    if (ids.has(f.id)) throw bad(`outfall ${f.id} appears twice`);
    ids.add(f.id);
    checkSeries(`outfall ${f.id}`, f.ts, { flow: f.flow, concentration: f.concentration });
    if (f.distanceKm !== undefined && !(finite(f.distanceKm) && f.distanceKm >= 0)) throw bad(`outfall ${f.id}: distanceKm must be a number >= 0, got ${f.distanceKm}`);
  }

  // The station's excess over its usual, around the event (W) and in it (E).
  const windowStart = start - o.contextMinutes * MINUTE_MS;
  const windowEnd = end + o.contextMinutes * MINUTE_MS;
  const w = indicesIn(station.ts, windowStart, windowEnd);
  const inEvent = w.map((k) => station.ts[k]! >= start && station.ts[k]! <= end);
  if (!w.some((k, n) => inEvent[n] && finite(station.values[k]!))) throw bad('station: no finite readings in the event window');
  const stationUsual = usualProfile('station', station.ts, station.values, windowStart, o);
  const tw = w.map((k) => station.ts[k]!);
  const riverFlow = station.riverFlow ? median(w.filter((_, n) => inEvent[n]).map((k) => station.riverFlow![k]!)) : Number.NaN;
  const cap = finite(riverFlow) && riverFlow > 0 ? o.dilutionTolerance / (3600 * riverFlow) : Number.POSITIVE_INFINITY;
  // With the river's flow known, the excess is weighed by it (relative to the
  // event's median flow): the pollutant's flux, which is what the outfalls'
  // loads add up to, so a river rising or falling under the plume does not
  // tilt it and shift its timing.
  const dilution = (k: number): number => {
    const q = station.riverFlow?.[k];
    return q !== undefined && finite(q) && q > 0 && finite(riverFlow) && riverFlow > 0 ? q / riverFlow : 1;
  };
  const raw = w.map((k) => station.values[k]! - stationUsual(station.ts[k]!));
  // Levelled on the context (a line through the samples before and after the
  // event): what is left is the event's own rise, not a slow drift of the river.
  const e = level(tw, raw.map((v, n) => v * dilution(w[n]!)), inEvent);
  const eventExcess = finiteSum(e.filter((_, n) => inEvent[n]));
  if (!(eventExcess > 0)) throw bad('station: no rise above its usual level in the event window; nothing to trace');
  const peakExcess = max(...level(tw, raw, inEvent).filter((v, n) => inEvent[n] && finite(v)));
  const lagStep = max(1000, samplingInterval(station.ts) / 5);

  // Each outfall alone: its best lag and width by correlation.
  const fits = outfalls.map((f) => {
    const [lo, hi] = lagRange(f, o);
    const load = f.flow.map((q, j) => q * f.concentration[j]!);
    const usual = usualProfile(`outfall ${f.id}`, f.ts, load, windowStart - hi, o);
    const needFrom = windowStart - hi;
    const needTo = windowEnd - lo;
    if (!indicesIn(f.ts, needFrom, needTo).some((j) => finite(load[j]!))) {
      throw bad(`outfall ${f.id}: no readings overlap the lags searched (needs ${iso(needFrom)} to ${iso(needTo)})`);
    }
    const excess = load.map((v, j) => v - usual(f.ts[j]!));
    // How far the load departs from its usual is judged as a ratio: a plant's
    // load swings more in absolute terms at its busy hours than at night.
    const ratio = load.map((v, j) => (usual(f.ts[j]!) > 0 ? v / usual(f.ts[j]!) - 1 : Number.NaN));
    const sigma = max(MAD_TO_SIGMA * mad(ratio.filter((_, j) => f.ts[j]! < needFrom)), 1e-6);
    const margin = 4 * max(...o.spreadMinutes) * MINUTE_MS;
    const spreads = o.spreadMinutes.map((m) => ({ minutes: m, series: spread(f.ts, excess, m * MINUTE_MS, needFrom - margin, needTo + margin) }));
    let best = { r: Number.NEGATIVE_INFINITY, lag: lo, spread: spreads[0]!, x: [] as number[] };
    for (let lag = ceil(lo / lagStep) * lagStep; lag <= hi + 1e-6; lag += lagStep) {
      for (const s of spreads) {
        const x = level(tw, tw.map((t) => interpolate(f.ts, s.series, t - lag)), inEvent);
        const r = pearson(e, x);
        if (r > best.r) best = { r, lag, spread: s, x };
      }
    }
    if (best.x.length === 0) best.x = level(tw, tw.map((t) => interpolate(f.ts, best.spread.series, t - lo)), inEvent);
    return { f, lo, hi, usual, ratio, sigma, ...best, r: finite(best.r) ? best.r : 0 };
  });

  // Did the load leave its usual range while the event's water left the outfall?
  const rises = fits.map((c) => {
    const source = sourceSpan(c.f.ts, c.ratio, start - c.lag - c.spread.minutes * MINUTE_MS, end - c.lag + c.spread.minutes * MINUTE_MS);
    const riseZ = source.peak / c.sigma;
    return { source, riseZ, riseFactor: 1 + source.peak, rise: clamp01((riseZ - RISE_Z_NONE) / (RISE_Z_FULL - RISE_Z_NONE)) };
  });

  // The outfalls that did, together: split the station's excess, non-negative,
  // capped. A load at its usual is already in the station's usual: it takes
  // no part, or its noise would soak up a share of a weak event.
  const movers = fits.map((_, i) => i).filter((i) => rises[i]!.rise > 0);
  const fitted = boundedLeastSquares(e, movers.map((i) => fits[i]!.x), cap);
  const beta = fits.map((_, i) => (movers.includes(i) ? fitted[movers.indexOf(i)]! : 0));

  const ranked = fits.map((c, i): UpstreamSource => {
    const contributed = finiteSum(c.x.map((v, n) => (inEvent[n] ? v : Number.NaN)));
    const explainedShare = clamp01((beta[i]! * contributed) / eventExcess);
    const { source, riseZ, riseFactor, rise } = rises[i]!;
    const score = max(0, c.r) * explainedShare * rise;
    const verdict: TraceVerdict = score >= o.likelyScore ? 'likely source' : score >= o.possibleScore ? 'possible contributor' : 'not explained';
    const impliedVelocityMs = c.f.distanceKm !== undefined && c.lag > 0 ? (c.f.distanceKm * 1000) / (c.lag / 1000) : undefined;
    const result = {
      outfall: c.f.id,
      score,
      lagMinutes: c.lag / MINUTE_MS,
      correlation: c.r,
      explainedShare,
      verdict,
      riseFactor,
      riseZ,
      spreadMinutes: c.spread.minutes,
      sourceWindow: { start: source.start, end: source.end },
      ...(impliedVelocityMs === undefined ? {} : { impliedVelocityMs }),
    };
    return { ...result, explanation: explain(result, c, { pollutant: station.pollutant ?? 'COD', unit: station.unit ?? 'mg/L', peakExcess, rise, sourcePeak: source.peakTs }, o) };
  });
  return ranked.sort((a, b) => b.score - a.score || b.explainedShare - a.explainedShare || b.correlation - a.correlation);
}

function explain(
  s: Omit<UpstreamSource, 'explanation'>,
  c: { f: TraceOutfall; lo: number; hi: number },
  at: { pollutant: string; unit: string; peakExcess: number; rise: number; sourcePeak: number },
  o: TraceOptions,
): string {
  const clock = (ts: number): string => new Date(ts + o.utcOffsetHours * 3_600_000).toISOString().slice(11, 16);
  const lag = round(s.lagMinutes);
  const where = c.f.distanceKm === undefined
    ? `distance unknown, lags searched ${round(c.lo / MINUTE_MS)}-${round(c.hi / MINUTE_MS)} min`
    : s.impliedVelocityMs === undefined
      ? `lag matches ${fmt(c.f.distanceKm)} km`
      : `lag matches ${fmt(c.f.distanceKm)} km at ${fmt(s.impliedVelocityMs)} m/s`;
  const share = `explains ${round(100 * s.explainedShare)}% of the excess (correlation ${fmt(s.correlation)})`;
  const station = `${lag} min later the station's ${at.pollutant} rose ${fmt(at.peakExcess)} ${at.unit}`;
  if (s.verdict !== 'not explained') {
    return `${s.outfall}'s load rose to ${fmt(s.riseFactor)}x its usual for ${clock(at.sourcePeak)} at ${clock(s.sourceWindow.start)}-${clock(s.sourceWindow.end)}; ${station}; ${where}; ${share}: ${s.verdict}.`;
  }
  const load = at.rise === 0
    ? `its load stayed within its usual range (at most ${fmt(s.riseFactor)}x usual, ${fmt(s.riseZ)} sd)`
    : `its load rose to ${fmt(s.riseFactor)}x its usual at ${clock(s.sourceWindow.start)}-${clock(s.sourceWindow.end)} but does not match the station's rise`;
  return `${s.outfall} does not explain the event: ${load}; best lag ${lag} min (${where}); ${share}.`;
}

function fmt(value: number): string {
  return abs(value) >= 10 ? value.toFixed(0) : value.toFixed(1);
}

function checkOptions(o: TraceOptions): TraceOptions {
  const v = o.velocityMs;
  if (!(v && v.min > 0 && v.max >= v.min && finite(v.max))) throw bad(`velocityMs needs 0 < min <= max (m/s), got ${JSON.stringify(v)}`);
  if (!(o.minLagMinutes >= 0 && o.maxLagMinutes >= o.minLagMinutes && finite(o.maxLagMinutes))) throw bad(`lags need 0 <= minLagMinutes <= maxLagMinutes, got ${o.minLagMinutes}, ${o.maxLagMinutes}`);
  for (const key of ['contextMinutes', 'baselineWindowMinutes', 'minHistoryHours', 'dilutionTolerance'] as const) {
    if (!(finite(o[key]) && o[key] >= 0)) throw bad(`${key} must be a number >= 0, got ${o[key]}`);
  }
  if (!(o.baselineWindowMinutes > 0 && o.dilutionTolerance > 0)) throw bad('baselineWindowMinutes and dilutionTolerance must be positive');
  if (o.spreadMinutes.length === 0 || !o.spreadMinutes.every((m) => finite(m) && m >= 0)) throw bad(`spreadMinutes needs widths >= 0, got ${JSON.stringify(o.spreadMinutes)}`);
  if (!(o.possibleScore > 0 && o.likelyScore >= o.possibleScore && o.likelyScore <= 1)) throw bad(`scores need 0 < possibleScore <= likelyScore <= 1, got ${o.possibleScore}, ${o.likelyScore}`);
  if (!finite(o.utcOffsetHours)) throw bad(`utcOffsetHours must be a number, got ${o.utcOffsetHours}`);
  return o;
}

function checkSeries(name: string, ts: readonly number[], channels: Record<string, readonly number[]>): void {
  if (ts.length === 0) throw bad(`${name}: no readings`);
  for (let i = 0; i < ts.length; i += 1) {
    if (!finite(ts[i]!) || (i > 0 && ts[i]! <= ts[i - 1]!)) throw bad(`${name}: ts must be finite and strictly ascending (index ${i})`);
  }
  for (const [channel, values] of Object.entries(channels)) {
    if (values.length !== ts.length) throw bad(`${name}: ts has ${ts.length} values, ${channel} has ${values.length}`);
    if (!values.some((v) => finite(v))) throw bad(`${name}: ${channel} has no finite values`);
  }
}

function lagRange(f: TraceOutfall, o: TraceOptions): [lo: number, hi: number] {
  if (f.distanceKm === undefined) return [o.minLagMinutes * MINUTE_MS, o.maxLagMinutes * MINUTE_MS];
  const metres = f.distanceKm * 1000;
  return [(metres / o.velocityMs.max) * 1000, (metres / o.velocityMs.min) * 1000];
}

/**
 * The usual value at a time: the median of the history (samples before
 * `historyEnd`) within half a baseline window of the same time of day.
 */
function usualProfile(name: string, ts: readonly number[], values: readonly number[], historyEnd: number, o: TraceOptions): (t: number) => number {
  const tod = (t: number): number => (((t + o.utcOffsetHours * 3_600_000) % DAY_MS) + DAY_MS) % DAY_MS;
  const history: [number, number][] = [];
  let first = Number.NaN;
  let last = Number.NaN;
  for (let i = 0; i < ts.length && ts[i]! < historyEnd; i += 1) {
    if (!finite(values[i]!)) continue;
    history.push([tod(ts[i]!), values[i]!]);
    if (Number.isNaN(first)) first = ts[i]!;
    last = ts[i]!;
  }
  if (history.length === 0 || last - first < o.minHistoryHours * 3_600_000) {
    throw bad(`${name}: needs at least ${o.minHistoryHours} h of readings before ${iso(historyEnd)} to learn its usual day`);
  }
  history.sort((a, b) => a[0] - b[0]);
  const times = history.map(([d]) => d);
  const half = (o.baselineWindowMinutes * MINUTE_MS) / 2;
  const between = (from: number, to: number): number[] => history.slice(lowerBound(times, from), lowerBound(times, to + 1)).map(([, v]) => v);
  const cache = new Map<number, number>();
  return (t: number): number => {
    const key = round(tod(t) / MINUTE_MS);
    let m = cache.get(key);
    if (m === undefined) {
      const centre = key * MINUTE_MS;
      // The window may wrap around midnight.
      m = median([...between(centre - half, centre + half), ...between(centre - half + DAY_MS, DAY_MS), ...between(0, centre + half - DAY_MS)]);
      cache.set(key, m);
    }
    return m;
  };
}

/**
 * `values` less a straight line through its context (the samples outside the
 * event, on both sides; their mean when one side is missing): the rise of a
 * series during the event, whatever slow drift it rides on.
 */
function level(ts: readonly number[], values: readonly number[], inEvent: readonly boolean[]): number[] {
  let n = 0;
  let st = 0;
  let sv = 0;
  let before = false;
  let after = false;
  let seenEvent = false;
  values.forEach((v, i) => {
    if (inEvent[i]) seenEvent = true;
    if (inEvent[i] || !finite(v)) return;
    if (seenEvent) after = true;
    else before = true;
    n += 1;
    st += ts[i]!;
    sv += v;
  });
  if (n === 0) return [...values];
  const mt = st / n;
  const mv = sv / n;
  let slope = 0;
  if (before && after) {
    let cov = 0;
    let vt = 0;
    values.forEach((v, i) => {
      if (inEvent[i] || !finite(v)) return;
      cov += (ts[i]! - mt) * (v - mv);
      vt += (ts[i]! - mt) ** 2;
    });
    slope = vt > 0 ? cov / vt : 0;
  }
  return values.map((v, i) => v - mv - slope * (ts[i]! - mt));
}

/** The peak of `excess` within [from, to] and the span around it where it stays above half the peak. */
function sourceSpan(ts: readonly number[], excess: readonly number[], from: number, to: number): { peak: number; peakTs: number; start: number; end: number } {
  const idx = indicesIn(ts, from, to).filter((j) => finite(excess[j]!));
  if (idx.length === 0) return { peak: 0, peakTs: Number.NaN, start: from, end: to };
  let top = idx[0]!;
  for (const j of idx) if (excess[j]! > excess[top]!) top = j;
  const peak = excess[top]!;
  if (!(peak > 0)) return { peak, peakTs: ts[top]!, start: from, end: to };
  let a = top;
  let b = top;
  while (a > 0 && excess[a - 1]! > peak / 2) a -= 1;
  while (b < ts.length - 1 && excess[b + 1]! > peak / 2) b += 1;
  return { peak, peakTs: ts[top]!, start: ts[a]!, end: ts[b]! };
}

function iso(ts: number): string {
  return finite(ts) ? new Date(ts).toISOString() : String(ts);
}
