import { QingliuError } from '@qingliu/protocol';
import { createOutfallModel, uniform } from './outfall-model.js';
import type { OutfallModel, OutfallValues } from './outfall-model.js';
import { withEvents } from './scenario-model.js';
import type { ScenarioEvent } from './scenario.js';

/**
 * A deterministic simulated river: outfalls at known distances upstream of one
 * monitoring station, each discharging what its outfall model (with its
 * scripted events) says. It is the ground truth the traceability ranking is
 * tested on: we know which outfall dumped, and how long the water took.
 *
 * At the station, for COD and NH3-N (mg/L):
 *
 * ```
 * c(t) = background + sum_i exp(-k T_i) * (K_i * load_i)(t - T_i) / (3600 Q(t)) + noise(t)
 * load_i (g/h) = flow_i (m3/h) x concentration_i (mg/L)      (1 mg/L x 1 m3 = 1 g)
 * T_i = distance_i / velocity
 * ```
 *
 * K_i is a Gaussian time kernel of width sqrt(2 D T_i) / velocity (longitudinal
 * dispersion D, m2/s): the plume spreads as it travels, so farther outfalls
 * arrive lower and wider. Q is the river flow (m3/s) with slow seeded
 * variation; k the first-order decay (1/h). Loads of the outfalls are small
 * next to the river, so they add to the background instead of mixing volumes.
 * Like the outfall model, every value is a pure function of seed and time.
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

// Held locally: the kernel runs millions of times, and a lookup on the global
// object (Math.exp) costs tens of times more inside jest's vm contexts.
const { abs, ceil, cos, exp, floor, log, max, sqrt, PI } = Math;

/** One outfall on the river. */
export interface RiverOutfallSpec {
  readonly id: string;
  /** Distance along the river from the outfall down to the station, km. */
  readonly distanceKm: number;
  /** The outfall model's seed. Default: drawn from the river's seed and the outfall's position. */
  readonly seed?: number;
  /** The outfall's mean daily flow, m3/h. Default: the outfall model's own (80-250). */
  readonly baseFlow?: number;
}

/**
 * A discharge no monitored outfall reports (a hidden pipe, a truck emptied
 * into the river): it travels down like an outfall's load.
 */
export interface UnmonitoredDischarge {
  /** Start and end, ms since the epoch. */
  readonly start: number;
  readonly end: number;
  /** Distance to the station, km. Default 0 (right at the station). */
  readonly distanceKm?: number;
  /** Extra load while it lasts, kg/h. */
  readonly codKgPerH?: number;
  readonly nh3nKgPerH?: number;
}

export interface RiverOptions {
  /** Seeds every random choice; the same seed gives the same values at the same time. */
  readonly seed: number;
  readonly outfalls: readonly RiverOutfallSpec[];
  /** Scripted events of the outfalls (as in a scenario; `outfall` names one of `outfalls`). */
  readonly events?: readonly ScenarioEvent[];
  readonly unmonitored?: readonly UnmonitoredDischarge[];
  /** Mean river flow, m3/s. Default: drawn from the seed, 1.5-4. */
  readonly baseFlow?: number;
  /** Relative amplitude of the river flow's slow (hours) variation. Default 0.15. */
  readonly flowVariation?: number;
  /** Mean velocity, m/s. Default: drawn from the seed, 0.4-1.2. */
  readonly velocity?: number;
  /** Background concentrations upstream of every outfall, mg/L. Default: drawn, COD 8-15, NH3-N 0.3-0.8. */
  readonly background?: { readonly cod?: number; readonly nh3n?: number };
  /** Longitudinal dispersion coefficient, m2/s. Default 30 (a small lowland river; natural rivers run 10-500). 0: no spreading. */
  readonly dispersion?: number;
  /** First-order decay rate, 1/h. Default 0 (conservative pollutants). */
  readonly decayPerHour?: number;
  /** Standard deviation of the station's measurement noise, mg/L. Default COD 0.3, NH3-N 0.03. */
  readonly noise?: { readonly cod?: number; readonly nh3n?: number };
  /** The plants' local time zone, hours east of UTC. Default 8. */
  readonly utcOffsetHours?: number;
}

/** What the station reads at one moment. */
export interface StationValues {
  /** River flow, m3/s. */
  readonly flow: number;
  /** mg/L. */
  readonly cod: number;
  readonly nh3n: number;
}

export interface RiverOutfall {
  readonly id: string;
  readonly distanceKm: number;
  /** distance / velocity, ms. */
  readonly travelTimeMs: number;
  /** Standard deviation of the arrival kernel, ms. */
  readonly spreadMs: number;
  /** Fraction of the load that survives the decay on the way. */
  readonly survival: number;
  readonly model: OutfallModel;
}

export interface River {
  readonly seed: number;
  /** m/s */
  readonly velocity: number;
  /** mg/L */
  readonly background: { readonly cod: number; readonly nh3n: number };
  readonly outfalls: readonly RiverOutfall[];
  /** River flow at the station, m3/s. */
  flowAt(ts: number): number;
  stationAt(ts: number): StationValues;
}

/** Station and outfall series on one time grid: what the cloud would hold in InfluxDB. */
export interface RiverSamples {
  readonly station: { readonly ts: number[]; readonly flow: number[]; readonly cod: number[]; readonly nh3n: number[] };
  readonly outfalls: { readonly id: string; readonly distanceKm: number; readonly ts: number[]; readonly flow: number[]; readonly cod: number[]; readonly nh3n: number[] }[];
}

const bad = (path: string, why: string): QingliuError => new QingliuError('CONFIG_INVALID', `invalid river: ${path}: ${why}`);

function positive(value: number | undefined, path: string, orZero = false): void {
  if (value === undefined) return;
  if (!Number.isFinite(value) || value < 0 || (!orZero && value === 0)) throw bad(path, `expected a ${orZero ? 'non-negative' : 'positive'} number, got ${value}`);
}

/**
 * Builds a river. Throws QingliuError('CONFIG_INVALID') naming the bad field
 * (a non-positive velocity, a negative distance, two outfalls with one id, an
 * event for an outfall the river does not have).
 */
export function createRiver(options: RiverOptions): River {
  const seed = options.seed >>> 0;
  const draw = (channel: number, min: number, max: number): number => min + (max - min) * uniform(seed, 1000 + channel, 0);
  positive(options.baseFlow, 'baseFlow');
  positive(options.velocity, 'velocity');
  positive(options.flowVariation, 'flowVariation', true);
  positive(options.dispersion, 'dispersion', true);
  positive(options.decayPerHour, 'decayPerHour', true);
  positive(options.background?.cod, 'background.cod', true);
  positive(options.background?.nh3n, 'background.nh3n', true);
  positive(options.noise?.cod, 'noise.cod', true);
  positive(options.noise?.nh3n, 'noise.nh3n', true);
  if ((options.flowVariation ?? 0) >= 1) throw bad('flowVariation', 'expected less than 1');

  const baseFlow = options.baseFlow ?? draw(1, 1.5, 4);
  const flowVariation = options.flowVariation ?? 0.15;
  const velocity = options.velocity ?? draw(2, 0.4, 1.2);
  const background = { cod: options.background?.cod ?? draw(3, 8, 15), nh3n: options.background?.nh3n ?? draw(4, 0.3, 0.8) };
  const dispersion = options.dispersion ?? 30;
  const decayPerHour = options.decayPerHour ?? 0;
  const noise = { cod: options.noise?.cod ?? 0.3, nh3n: options.noise?.nh3n ?? 0.03 };
  const utcOffsetHours = options.utcOffsetHours ?? 8;

  const transport = (distanceKm: number): { travelTimeMs: number; spreadMs: number; survival: number } => {
    const seconds = (distanceKm * 1000) / velocity;
    return { travelTimeMs: seconds * 1000, spreadMs: (sqrt(2 * dispersion * seconds) / velocity) * 1000, survival: exp(-decayPerHour * (seconds / 3600)) };
  };

  const ids = new Set<string>();
  const outfalls = options.outfalls.map((spec, i): RiverOutfall => {
    const path = `outfalls.${i}`;
    if (typeof spec.id !== 'string' || spec.id === '') throw bad(`${path}.id`, 'expected an outfall id');
    if (ids.has(spec.id)) throw bad(`${path}.id`, `${spec.id} appears twice`);
    ids.add(spec.id);
    positive(spec.distanceKm, `${path}.distanceKm`, true);
    if (spec.distanceKm === undefined) throw bad(`${path}.distanceKm`, 'expected a distance in km');
    positive(spec.baseFlow, `${path}.baseFlow`);
    const outfallSeed = spec.seed ?? floor(uniform(seed, 2000 + i, 0) * 0x1_0000_0000);
    const own = (options.events ?? []).filter((e) => e.outfall === spec.id);
    const base = createOutfallModel({ seed: outfallSeed, utcOffsetHours, ...(spec.baseFlow === undefined ? {} : { baseFlow: spec.baseFlow }) });
    return { id: spec.id, distanceKm: spec.distanceKm, ...transport(spec.distanceKm), model: memoised(own.length ? withEvents(base, own) : base) };
  });
  const loads = outfalls.map((o) => minuteLoads(o.model));
  (options.events ?? []).forEach((e, i) => {
    if (!ids.has(e.outfall)) throw bad(`events.${i}.outfall`, `the river has no outfall ${e.outfall}`);
  });
  const unmonitored = (options.unmonitored ?? []).map((u, i) => {
    const path = `unmonitored.${i}`;
    if (!(Number.isFinite(u.start) && Number.isFinite(u.end) && u.end > u.start)) throw bad(path, 'expected start < end (ms)');
    positive(u.distanceKm, `${path}.distanceKm`, true);
    positive(u.codKgPerH, `${path}.codKgPerH`, true);
    positive(u.nh3nKgPerH, `${path}.nh3nKgPerH`, true);
    return { ...u, ...transport(u.distanceKm ?? 0) };
  });

  const flowAt = (ts: number): number => baseFlow * (1 + flowVariation * smoothNoise(seed, 1, ts, 8 * HOUR_MS));

  const stationAt = (ts: number): StationValues => {
    const q = flowAt(ts);
    let cod = 0; // g/h arriving now
    let nh3n = 0;
    outfalls.forEach((o, i) => {
      for (const [at, w] of kernel(ts - o.travelTimeMs, o.spreadMs)) {
        const [c, n] = w === 1 ? load(o.model.valuesAt(at)) : loads[i]!(floor(at / MINUTE_MS));
        cod += o.survival * w * c;
        nh3n += o.survival * w * n;
      }
    });
    for (const u of unmonitored) {
      for (const [at, w] of kernel(ts - u.travelTimeMs, u.spreadMs)) {
        if (at < u.start || at >= u.end) continue;
        cod += u.survival * w * (u.codKgPerH ?? 0) * 1000;
        nh3n += u.survival * w * (u.nh3nKgPerH ?? 0) * 1000;
      }
    }
    const volume = 3600 * q; // m3/h
    return {
      flow: q,
      cod: max(0, background.cod + cod / volume + noise.cod * gaussian(seed, 11, ts)),
      nh3n: max(0, background.nh3n + nh3n / volume + noise.nh3n * gaussian(seed, 13, ts)),
    };
  };

  return { seed, velocity, background, outfalls, flowAt, stationAt };
}

/**
 * Samples the station and every outfall over [from, to) every `stepMs`
 * (default 5 min): the station's flow (m3/s), COD and NH3-N (mg/L), each
 * outfall's flow (m3/h), COD and NH3-N (mg/L).
 */
export function sampleRiver(river: River, from: number, to: number, stepMs = 5 * MINUTE_MS): RiverSamples {
  if (!(Number.isFinite(from) && Number.isFinite(to) && to > from)) throw bad('from/to', `expected from < to (ms), got ${from}, ${to}`);
  if (!(Number.isFinite(stepMs) && stepMs > 0)) throw bad('stepMs', `expected a positive number, got ${stepMs}`);
  const ts: number[] = [];
  for (let t = from; t < to; t += stepMs) ts.push(t);
  const values = ts.map((t) => river.stationAt(t));
  return {
    station: { ts, flow: values.map((v) => v.flow), cod: values.map((v) => v.cod), nh3n: values.map((v) => v.nh3n) },
    outfalls: river.outfalls.map((o) => {
      const rows = ts.map((t) => o.model.valuesAt(t));
      return { id: o.id, distanceKm: o.distanceKm, ts: [...ts], flow: rows.map((r) => r.w00000), cod: rows.map((r) => r.w01018), nh3n: rows.map((r) => r.w21003) };
    }),
  };
}

/**
 * Gaussian weights (summing to 1) around `centre`, out to 4 standard
 * deviations, at the midpoints of whole minutes (each stands for its minute,
 * so an event from 10:00 to 10:40 counts exactly those 40 minutes).
 * Narrower than a minute: the centre alone, weight 1.
 */
function kernel(centre: number, spreadMs: number): [at: number, weight: number][] {
  if (spreadMs < MINUTE_MS) return [[centre, 1]];
  const half = MINUTE_MS / 2;
  const first = ceil((centre - 4 * spreadMs - half) / MINUTE_MS) * MINUTE_MS + half;
  const points: [number, number][] = [];
  let total = 0;
  for (let at = first; at <= centre + 4 * spreadMs; at += MINUTE_MS) {
    const z = (at - centre) / spreadMs;
    const w = exp(-0.5 * z * z);
    points.push([at, w]);
    total += w;
  }
  for (const p of points) p[1] /= total;
  return points;
}

type Loads = readonly [cod: number, nh3n: number];

/** Load rates, g/h: flow (m3/h) x concentration (mg/L = g/m3). */
function load(v: OutfallValues): Loads {
  return [v.w00000 * v.w01018, v.w00000 * v.w21003];
}

/** The model with its values memoised: a pure function, so a cache changes nothing but the time. */
function memoised(model: OutfallModel): OutfallModel {
  const cache = new Map<number, OutfallValues>();
  const valuesAt = (ts: number): OutfallValues => {
    let v = cache.get(ts);
    if (v === undefined) {
      if (cache.size > 200_000) cache.clear();
      v = model.valuesAt(ts);
      cache.set(ts, v);
    }
    return v;
  };
  return { seed: model.seed, valuesAt };
}

const BLOCK_MINUTES = 5;
/** Relative difference between reads within a block above which every minute of it is read. */
const BLOCK_JUMP = 0.2;

/**
 * An outfall's loads over whole minute `m` (ms / 60,000), at the minute's
 * midpoint, from as few reads of the model as the load allows: each 5-minute
 * block is read at both ends and the middle. Where the three agree within
 * 20%, the model is smooth there (its day, its drift) and the minutes are
 * interpolated; where they do not, an event starts or ends, and every minute
 * is read.
 */
function minuteLoads(model: OutfallModel): (m: number) => Loads {
  const blocks = new Map<number, Loads[]>();
  const jump = (a: Loads, b: Loads): boolean => a.some((x, k) => abs(x - b[k]!) > BLOCK_JUMP * max(abs(x), abs(b[k]!)));
  return (m: number): Loads => {
    const b = floor(m / BLOCK_MINUTES);
    let minutes = blocks.get(b);
    if (minutes === undefined) {
      const at = (minute: number): Loads => load(model.valuesAt(minute * MINUTE_MS));
      const start = b * BLOCK_MINUTES;
      const half = BLOCK_MINUTES / 2;
      const [a, mid, z] = [at(start), at(start + half), at(start + BLOCK_MINUTES)];
      minutes = Array.from({ length: BLOCK_MINUTES }, (_, j): Loads => {
        if (jump(a, mid) || jump(mid, z)) return at(start + j + 0.5);
        const x = j + 0.5;
        const [from, to, f] = x < half ? [a, mid, x / half] : [mid, z, (x - half) / half];
        return [from[0] + (to[0] - from[0]) * f, from[1] + (to[1] - from[1]) * f];
      });
      if (blocks.size > 100_000) blocks.clear();
      blocks.set(b, minutes);
    }
    return minutes[m - b * BLOCK_MINUTES]!;
  };
}

/** Value noise in [-1, 1]: random levels every `periodMs`, joined by a smoothstep. */
function smoothNoise(seed: number, channel: number, ts: number, periodMs: number): number {
  const position = ts / periodMs;
  const cell = floor(position);
  const fraction = position - cell;
  const eased = fraction * fraction * (3 - 2 * fraction);
  const a = uniform(seed, channel, cell) * 2 - 1;
  const b = uniform(seed, channel, cell + 1) * 2 - 1;
  return a + (b - a) * eased;
}

/** A standard normal number from (seed, channel, ts) (Box-Muller): the same instant always reads the same noise. */
function gaussian(seed: number, channel: number, ts: number): number {
  const u = max(uniform(seed, channel, ts), 1e-12);
  const v = uniform(seed, channel + 1, ts);
  return sqrt(-2 * log(u)) * cos(2 * PI * v);
}

/**
 * A worked river event with its answer known, for tests and demonstrations:
 * four plants 1.8 to 10.6 km upstream of the station on a river at 0.6 m/s,
 * sampled every 5 min over three days from midnight, 1 June 2024 (China
 * Standard Time); ent-c-dw001 dumps untreated water on the third day at 10:20
 * for 50 minutes, and the station sees it one travel time (7.5 km / 0.6 m/s)
 * later.
 */
export function exampleRiverEvent(): {
  samples: RiverSamples;
  outfalls: readonly { id: string; distanceKm: number }[];
  culprit: string;
  dump: { start: number; end: number };
  travelMinutes: number;
  stepMs: number;
} {
  const minute = 60_000;
  const day = 1440 * minute;
  const midnight = Date.UTC(2024, 4, 31, 16, 0, 0);
  const outfalls = [
    { id: 'ent-a-dw001', distanceKm: 1.8 },
    { id: 'ent-b-dw001', distanceKm: 4.2 },
    { id: 'ent-c-dw001', distanceKm: 7.5 },
    { id: 'ent-d-dw001', distanceKm: 10.6 },
  ];
  const culprit = 'ent-c-dw001';
  const dump = { start: midnight + 2 * day + (10 * 60 + 20) * minute, end: midnight + 2 * day + (10 * 60 + 70) * minute };
  const velocity = 0.6;
  const river = createRiver({ seed: 41, velocity, baseFlow: 2, outfalls, events: [{ outfall: culprit, kind: 'bypass-dump', ...dump }] });
  const stepMs = 5 * minute;
  return { samples: sampleRiver(river, midnight, midnight + 3 * day, stepMs), outfalls, culprit, dump, travelMinutes: 7500 / velocity / 60, stepMs };
}
