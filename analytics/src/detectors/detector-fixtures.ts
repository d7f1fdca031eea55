/** Shared fixtures of the detector tests: three synthetic outfalls, split 70/30. */
import type { OutfallSeries } from './detector.js';
import type { InjectedPattern } from '../series/synthetic-series.js';
import { inject, syntheticOutfall } from '../series/synthetic-series.js';
import { sliceSeries } from './warmup.js';

export const SAMPLES = 4000;
export const CUT = 2800;

export function fixture(seed = 1): { train: OutfallSeries[]; test: OutfallSeries[] } {
  const all = ['ent-a-dw001', 'ent-a-dw002', 'ent-b-dw001'].map((outfall, k) => syntheticOutfall({ outfall, seed: seed * 10 + k, samples: SAMPLES }));
  return { train: all.map((s) => sliceSeries(s, 0, CUT)), test: all.map((s) => sliceSeries(s, CUT, SAMPLES)) };
}

/** The test part with `pattern` injected into the first outfall at test index `at`. */
export function withPattern(test: OutfallSeries[], pattern: InjectedPattern, at: number, length: number): OutfallSeries[] {
  return [inject(test[0]!, pattern, at, length), ...test.slice(1)];
}
