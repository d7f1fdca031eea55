import type { PollutantCode } from '@qingliu/protocol';

/**
 * What one outfall's analyzers read at one moment, in Qingliu's units
 * (flow m3/h, COD / NH3-N / TP / TN mg/L, pH in pH units).
 */
export type OutfallValues = Record<PollutantCode, number>;

export interface OutfallModelOptions {
  /** Seeds every random choice; the same seed gives the same values at the same time. */
  seed: number;
  /** Mean daily flow, m3/h. Default: drawn from the seed, 80-250. */
  baseFlow?: number;
  /** The plant's local time zone, hours east of UTC. Default 8 (China Standard Time). */
  utcOffsetHours?: number;
}

export interface OutfallModel {
  readonly seed: number;
  /** The values at `ts` (milliseconds since the Unix epoch); a pure function of seed and time. */
  valuesAt(ts: number): OutfallValues;
}

/** Where each simulated value stays, whatever the seed and time. */
export const OUTFALL_RANGES: Readonly<Record<PollutantCode, readonly [min: number, max: number]>> = {
  w00000: [5, 1000],
  w01018: [30, 80],
  w21003: [1, 8],
  w01001: [6.5, 8.5],
  w21011: [0.05, 0.5],
  w21001: [5, 15],
};

const HOUR_MS = 3_600_000;

/**
 * A deterministic model of one wastewater outfall. Flow follows the day: low
 * at night, peaks in the morning and the evening, a shoulder after lunch.
 * Concentrations rise a little with the flow, drift slowly (hours) and carry
 * short-term noise (seconds). Everything is a smooth function of time, so two
 * reads a few milliseconds apart agree closely and two reads at the same
 * instant agree exactly.
 */
export function createOutfallModel(options: OutfallModelOptions): OutfallModel {
  const seed = options.seed >>> 0;
  const utcOffsetMs = (options.utcOffsetHours ?? 8) * HOUR_MS;
  const draw = (channel: number, min: number, max: number): number => min + (max - min) * uniform(seed, channel, 0);

  const baseFlow = options.baseFlow ?? draw(1, 80, 250);
  const morningPeak = draw(2, 7.5, 9); // hour of day
  const eveningPeak = draw(3, 18, 20.5);
  const codBase = draw(4, 42, 58);
  const nh3Base = draw(5, 2.5, 4.5);
  const phBase = draw(6, 7.0, 7.6);
  const tpBase = draw(7, 0.15, 0.3);
  const tnBase = draw(8, 8, 11);

  const valuesAt = (ts: number): OutfallValues => {
    const hour = (((ts + utcOffsetMs) % (24 * HOUR_MS)) + 24 * HOUR_MS) % (24 * HOUR_MS) / HOUR_MS;
    const day = diurnal(hour, morningPeak, eveningPeak); // about 0.35 at night, up to about 1.4 at the peaks
    const load = day - 0.8; // above zero when the plant is busy
    const drift = (channel: number): number => smoothNoise(seed, channel, ts, 6 * HOUR_MS);
    const noise = (channel: number): number => smoothNoise(seed, channel, ts, 15_000);

    const flow = baseFlow * day * (1 + 0.08 * drift(11)) * (1 + 0.03 * noise(21));
    const cod = codBase * (1 + 0.18 * load) * (1 + 0.12 * drift(12)) + 2.5 * noise(22);
    const nh3 = nh3Base * (1 + 0.2 * load) * (1 + 0.2 * drift(13)) + 0.15 * noise(23);
    const ph = phBase + 0.25 * drift(14) + 0.05 * noise(24);
    const tp = tpBase * (1 + 0.15 * load) * (1 + 0.2 * drift(15)) + 0.01 * noise(25);
    const tn = tnBase * (1 + 0.15 * load) * (1 + 0.15 * drift(16)) + 0.3 * noise(26);

    return {
      w00000: clamp('w00000', flow),
      w01018: clamp('w01018', cod),
      w21003: clamp('w21003', nh3),
      w01001: clamp('w01001', ph),
      w21011: clamp('w21011', tp),
      w21001: clamp('w21001', tn),
    };
  };

  return { seed, valuesAt };
}

function clamp(code: PollutantCode, value: number): number {
  const [min, max] = OUTFALL_RANGES[code];
  return Math.min(max, Math.max(min, value));
}

/** Relative flow by local hour of day: a night floor, two Gaussian peaks and an afternoon shoulder. */
function diurnal(hour: number, morningPeak: number, eveningPeak: number): number {
  return 0.35 + 0.75 * bump(hour, morningPeak, 1.6) + 0.65 * bump(hour, eveningPeak, 2) + 0.25 * bump(hour, 13.5, 3);
}

function bump(hour: number, centre: number, width: number): number {
  const distance = Math.min(Math.abs(hour - centre), 24 - Math.abs(hour - centre));
  return Math.exp(-(distance * distance) / (2 * width * width));
}

/** Value noise in [-1, 1]: random levels every `periodMs`, joined by a smoothstep. */
function smoothNoise(seed: number, channel: number, ts: number, periodMs: number): number {
  const position = ts / periodMs;
  const cell = Math.floor(position);
  const fraction = position - cell;
  const eased = fraction * fraction * (3 - 2 * fraction);
  const a = uniform(seed, channel, cell) * 2 - 1;
  const b = uniform(seed, channel, cell + 1) * 2 - 1;
  return a + (b - a) * eased;
}

// A local binding: under jest's module sandbox a global lookup like Math.imul in this hot loop costs ~50x.
const { imul } = Math;

/** A uniform number in [0, 1) from (seed, channel, index): a stateless seeded PRNG (SplitMix32-style mixing). */
export function uniform(seed: number, channel: number, index: number): number {
  let h = imul(seed ^ 0x9e3779b9, 0x85ebca6b);
  h = mix(h ^ imul(channel + 1, 0xc2b2ae35));
  // The index may exceed 32 bits (time cells since 1970): fold both halves in.
  h = mix(h ^ (index >>> 0));
  h = mix(h ^ Math.floor(index / 0x1_0000_0000));
  return (h >>> 0) / 0x1_0000_0000;
}

function mix(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h;
}
