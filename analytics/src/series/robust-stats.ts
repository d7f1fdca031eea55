/** Robust statistics: median, MAD, quantiles and a sorted sliding window. */

/** 1 / Phi^-1(3/4): scales the MAD to the standard deviation of a normal distribution. */
export const MAD_TO_SIGMA = 1.4826;

function finiteSorted(values: readonly number[]): number[] {
  return values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
}

function sortedQuantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** The q-quantile (0..1, linear interpolation) of the finite values; NaN when there are none. */
export function quantile(values: readonly number[], q: number): number {
  return sortedQuantile(finiteSorted(values), q);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Median absolute deviation from the median (unscaled). */
export function mad(values: readonly number[]): number {
  const m = median(values);
  return median(values.filter((v) => Number.isFinite(v)).map((v) => Math.abs(v - m)));
}

/**
 * The smallest positive step between consecutive finite values: the sensor's
 * resolution, a floor for the MAD so that a quantized, mostly constant signal
 * does not give infinite z-scores.
 */
export function resolution(values: readonly number[]): number {
  let best = Number.POSITIVE_INFINITY;
  let prev = Number.NaN;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (Number.isFinite(prev)) {
      const d = Math.abs(v - prev);
      if (d > 0 && d < best) best = d;
    }
    prev = v;
  }
  return Number.isFinite(best) ? best : 0;
}

/** A window of the last `size` finite values, kept sorted so median and MAD cost O(size). */
export class SortedWindow {
  private readonly order: number[] = [];
  private readonly sorted: number[] = [];
  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 3) throw new RangeError(`window size must be an integer >= 3, got ${size}`);
  }

  get length(): number {
    return this.sorted.length;
  }

  clear(): void {
    this.order.length = 0;
    this.sorted.length = 0;
  }

  push(value: number): void {
    if (!Number.isFinite(value)) return;
    if (this.order.length === this.size) {
      const old = this.order.shift()!;
      this.sorted.splice(this.lowerBound(old), 1);
    }
    this.order.push(value);
    this.sorted.splice(this.lowerBound(value), 0, value);
  }

  median(): number {
    return sortedQuantile(this.sorted, 0.5);
  }

  /**
   * Unscaled MAD around the window's median, in O(size): the deviations below
   * and above the median are two sorted runs, walked outwards like a merge.
   */
  mad(): number {
    const s = this.sorted;
    const n = s.length;
    if (n === 0) return Number.NaN;
    const m = this.median();
    let i = this.lowerBound(m) - 1;
    let j = i + 1;
    const pos = (n - 1) / 2;
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    let a = Number.NaN;
    let b = Number.NaN;
    for (let k = 0; k <= hi; k += 1) {
      let d: number;
      if (j < n && (i < 0 || s[j]! - m <= m - s[i]!)) {
        d = s[j]! - m;
        j += 1;
      } else {
        d = m - s[i]!;
        i -= 1;
      }
      if (k === lo) a = d;
      if (k === hi) b = d;
    }
    return a + (b - a) * (pos - lo);
  }

  private lowerBound(value: number): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid]! < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
