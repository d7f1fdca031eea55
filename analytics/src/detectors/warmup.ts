/**
 * Warm-up history: the last samples of each fitted outfall, put in front of
 * the test part so trailing windows are full from the first test sample.
 */
import type { OutfallSeries } from './detector.js';

export class WarmupStore {
  private readonly tails = new Map<string, OutfallSeries>();
  constructor(private readonly length: number) {}

  remember(train: readonly OutfallSeries[]): void {
    for (const s of train) this.tails.set(s.outfall, sliceSeries(s, Math.max(0, s.ts.length - this.length), s.ts.length));
  }

  /** `test` with its outfall's fitted tail in front, and the index where `test` begins. */
  extend(test: OutfallSeries): { series: OutfallSeries; offset: number } {
    const tail = this.tails.get(test.outfall);
    if (!tail || tail.ts.length === 0) return { series: test, offset: 0 };
    const channels: Record<string, number[]> = {};
    for (const name of Object.keys(test.channels)) {
      const before = tail.channels[name] ?? tail.ts.map(() => Number.NaN);
      channels[name] = [...before, ...test.channels[name]!];
    }
    return { series: { outfall: test.outfall, ts: [...tail.ts, ...test.ts], channels }, offset: tail.ts.length };
  }
}

/** Samples [from, to) of a series. */
export function sliceSeries(s: OutfallSeries, from: number, to: number): OutfallSeries {
  const channels: Record<string, number[]> = {};
  for (const [name, values] of Object.entries(s.channels)) channels[name] = values.slice(from, to);
  return { outfall: s.outfall, ts: s.ts.slice(from, to), channels };
}
