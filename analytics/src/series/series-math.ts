/**
 * Arithmetic on sampled series (a time grid `ts`, ascending, ms, and values on
 * it, NaN where missing): lookup, interpolation, smoothing, correlation and a
 * bounded least-squares fit. Shared by the detectors and the traceability.
 */
import { median } from './robust-stats.js';

// Held locally: the traceability's lag search runs these millions of times, and a lookup on
// the global object (Math.exp) costs tens of times more inside jest's vm contexts.
const { abs, exp, max, min, sqrt } = Math;
const finite = Number.isFinite;

/** Median sampling interval of `ts`, ms (60 s when it cannot be told). */
export function samplingInterval(ts: readonly number[]): number {
  const gaps: number[] = [];
  for (let i = 1; i < ts.length && gaps.length < 10_000; i += 1) if (ts[i]! > ts[i - 1]!) gaps.push(ts[i]! - ts[i - 1]!);
  return gaps.length ? median(gaps) : 60_000;
}

/** Gaussian smoothing of `values` (on its own time grid) over [from, to]; NaN outside and where no finite neighbour is near. */
export function spread(ts: readonly number[], values: readonly number[], sigmaMs: number, from: number, to: number): number[] {
  const out = values.map(() => Number.NaN);
  const idx = indicesIn(ts, from, to);
  if (sigmaMs === 0) {
    for (const j of idx) out[j] = values[j]!;
    return out;
  }
  for (const j of idx) {
    let num = 0;
    let den = 0;
    for (let k = lowerBound(ts, ts[j]! - 3 * sigmaMs); k < ts.length && ts[k]! <= ts[j]! + 3 * sigmaMs; k += 1) {
      if (!finite(values[k]!)) continue;
      const z = (ts[k]! - ts[j]!) / sigmaMs;
      const wgt = exp(-0.5 * z * z);
      num += wgt * values[k]!;
      den += wgt;
    }
    out[j] = den > 0 ? num / den : Number.NaN;
  }
  return out;
}

/** Linear interpolation of `values` at `t`; NaN outside the series or across a gap of more than two sampling intervals. */
export function interpolate(ts: readonly number[], values: readonly number[], t: number): number {
  const j = lowerBound(ts, t);
  if (j < ts.length && ts[j] === t) return values[j]!;
  if (j === 0 || j >= ts.length) return Number.NaN;
  const t0 = ts[j - 1]!;
  const t1 = ts[j]!;
  const step = j >= 2 ? t0 - ts[j - 2]! : t1 - t0;
  if (t1 - t0 > 2 * step) return Number.NaN;
  return values[j - 1]! + ((values[j]! - values[j - 1]!) * (t - t0)) / (t1 - t0);
}

/** Pearson correlation over the pairs where both are finite; NaN with fewer than 6 pairs or no variation. */
export function pearson(a: readonly number[], b: readonly number[]): number {
  let n = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < a.length; i += 1) {
    if (finite(a[i]!) && finite(b[i]!)) {
      n += 1;
      sa += a[i]!;
      sb += b[i]!;
    }
  }
  if (n < 6) return Number.NaN;
  const ma = sa / n;
  const mb = sb / n;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < a.length; i += 1) {
    if (!(finite(a[i]!) && finite(b[i]!))) continue;
    cov += (a[i]! - ma) * (b[i]! - mb);
    va += (a[i]! - ma) ** 2;
    vb += (b[i]! - mb) ** 2;
  }
  return va > 0 && vb > 0 ? cov / sqrt(va * vb) : Number.NaN;
}

/**
 * min |y - X beta|^2 with 0 <= beta <= cap, by cyclic coordinate descent (a
 * handful of outfalls: exact enough in a few hundred sweeps). No intercept:
 * both sides are levelled excesses, zero when nothing happens. Rows where y is
 * missing are left out; a missing x counts as level (0).
 */
export function boundedLeastSquares(y: readonly number[], columns: readonly (readonly number[])[], cap: number): number[] {
  const rows = y.map((_, n) => n).filter((n) => finite(y[n]!));
  const pick = (v: readonly number[]): number[] => rows.map((n) => (finite(v[n]!) ? v[n]! : 0));
  const yc = pick(y);
  const xs = columns.map(pick);
  const norms = xs.map((x) => x.reduce((acc, v) => acc + v * v, 0));
  const beta = columns.map(() => 0);
  const residual = [...yc];
  for (let sweep = 0; sweep < 500; sweep += 1) {
    let change = 0;
    xs.forEach((x, i) => {
      if (!(norms[i]! > 0)) return;
      let dot = 0;
      for (let n = 0; n < x.length; n += 1) dot += x[n]! * residual[n]!;
      const next = min(cap, max(0, beta[i]! + dot / norms[i]!));
      const delta = next - beta[i]!;
      if (delta === 0) return;
      for (let n = 0; n < x.length; n += 1) residual[n]! -= delta * x[n]!;
      change = max(change, abs(delta) * sqrt(norms[i]!));
      beta[i] = next;
    });
    if (change < 1e-9) break;
  }
  return beta;
}

/** Indices of the samples in [from, to] (`ts` ascending). */
export function indicesIn(ts: readonly number[], from: number, to: number): number[] {
  const out: number[] = [];
  for (let j = lowerBound(ts, from); j < ts.length && ts[j]! <= to; j += 1) out.push(j);
  return out;
}

/** The first index whose time is at or after `t` (`ts` ascending). */
export function lowerBound(ts: readonly number[], t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The sum of the finite values. */
export function finiteSum(values: readonly number[]): number {
  return values.reduce((acc, v) => (finite(v) ? acc + v : acc), 0);
}

/** `value` held to [0, 1]; 0 when not finite. */
export function clamp01(value: number): number {
  return finite(value) ? min(1, max(0, value)) : 0;
}
