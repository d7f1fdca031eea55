/**
 * Seeded synthetic outfall series for tests and benchmarks: a diurnal flow,
 * concentrations that rise a little with it, slow drift and Gaussian noise,
 * one sample a minute. `inject` applies the scenario patterns firmware-sim
 * scripts (spike, flatline, dilution, bypass-dump, pH excursion) to a copy.
 */
import type { OutfallSeries } from '../detectors/detector.js';

const MINUTE = 60_000;
const DAY_MS = 86_400_000;

/** mulberry32: a small deterministic PRNG in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

export interface SyntheticOptions {
  readonly outfall: string;
  readonly seed: number;
  /** Number of samples, one a minute. */
  readonly samples: number;
  /** First sample time, ms (default 2024-05-01T00:00Z). */
  readonly start?: number;
}

export function syntheticOutfall(o: SyntheticOptions): OutfallSeries {
  const rand = prng(o.seed);
  const start = o.start ?? Date.UTC(2024, 4, 1);
  const ts: number[] = [];
  const ch = { flow: [] as number[], cod: [] as number[], nh3n: [] as number[], ph: [] as number[], tp: [] as number[] };
  let drift = 0;
  for (let i = 0; i < o.samples; i += 1) {
    const t = start + i * MINUTE;
    const day = (t % DAY_MS) / DAY_MS;
    const shape = 0.5 * Math.sin(2 * Math.PI * (day - 0.3)) + 0.2 * Math.sin(4 * Math.PI * day);
    drift += 0.002 * gaussian(rand);
    drift *= 0.999;
    const flow = 200 * (1 + 0.4 * shape) * (1 + 0.03 * gaussian(rand));
    ts.push(t);
    ch.flow.push(flow);
    ch.cod.push(55 * (1 + 0.15 * shape + drift) * (1 + 0.03 * gaussian(rand)));
    ch.nh3n.push(4 * (1 + 0.1 * shape + drift) * (1 + 0.03 * gaussian(rand)));
    ch.ph.push(7.4 + 0.2 * shape + 0.03 * gaussian(rand));
    ch.tp.push(0.25 * (1 + 0.1 * shape) * (1 + 0.03 * gaussian(rand)));
  }
  return { outfall: o.outfall, ts, channels: ch };
}

export type InjectedPattern =
  | { readonly kind: 'spike'; readonly channel: string; readonly factor: number }
  | { readonly kind: 'flatline' }
  | { readonly kind: 'dilution'; readonly factor: number }
  | { readonly kind: 'bypass-dump'; readonly factor: number }
  | { readonly kind: 'ph-excursion'; readonly value: number };

const CONCENTRATIONS = ['cod', 'nh3n', 'tp', 'tn'];

/** A copy of `s` with `pattern` applied to samples [from, from + length). */
export function inject(s: OutfallSeries, pattern: InjectedPattern, from: number, length: number): OutfallSeries {
  const channels: Record<string, number[]> = {};
  for (const [name, values] of Object.entries(s.channels)) channels[name] = [...values];
  for (let i = from; i < Math.min(from + length, s.ts.length); i += 1) {
    for (const name of Object.keys(channels)) {
      const v = channels[name]!;
      const isConc = CONCENTRATIONS.includes(name);
      switch (pattern.kind) {
        case 'spike':
          if (name === pattern.channel) v[i] = v[i]! * pattern.factor;
          break;
        case 'flatline':
          v[i] = v[from]!;
          break;
        case 'dilution':
          if (name === 'flow') v[i] = v[i]! * pattern.factor;
          else if (isConc) v[i] = v[i]! / pattern.factor;
          break;
        case 'bypass-dump':
          if (name === 'flow') v[i] = v[i]! * pattern.factor;
          else if (isConc) v[i] = v[i]! * 2.5;
          break;
        case 'ph-excursion':
          if (name === 'ph') v[i] = pattern.value;
          break;
      }
    }
  }
  return { outfall: s.outfall, ts: s.ts, channels };
}
