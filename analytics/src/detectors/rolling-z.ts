/** Rolling robust z-scores: each sample against the median/MAD of the samples before it. */
import { MAD_TO_SIGMA, SortedWindow } from '../series/robust-stats.js';

export interface RollingZOptions {
  /** Trailing window, in samples. */
  readonly window: number;
  /** Floor for the unscaled MAD (the sensor's resolution, say), > 0. */
  readonly madFloor: number;
  /**
   * A sample whose |z| reaches this value is kept out of the window, so a
   * sustained anomaly is measured against the level before it rather than
   * becoming the new baseline. After `window` such samples in a row they are
   * let in: a lasting change of level is accepted. Infinity: never hold.
   */
  readonly holdAt: number;
}

export interface RollingZ {
  /** Signed z-score per sample; NaN while the window holds under half its size, or the value is missing. */
  readonly z: number[];
  /** The window's median before each sample (the expected value). */
  readonly expected: number[];
}

export function rollingZ(values: readonly number[], options: RollingZOptions): RollingZ {
  const win = new SortedWindow(options.window);
  const z: number[] = new Array<number>(values.length).fill(Number.NaN);
  const expected: number[] = new Array<number>(values.length).fill(Number.NaN);
  const minFill = Math.ceil(options.window / 2);
  let held = 0;
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    if (win.length >= minFill) {
      const m = win.median();
      expected[i] = m;
      z[i] = (v - m) / (MAD_TO_SIGMA * Math.max(win.mad(), options.madFloor));
    }
    if (Math.abs(z[i]!) >= options.holdAt && held < options.window) {
      held += 1;
      continue;
    }
    held = 0;
    win.push(v);
  }
  return { z, expected };
}
