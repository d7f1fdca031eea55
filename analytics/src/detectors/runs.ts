/** Turns per-sample scores into alerts: flagged samples grouped into runs. */
import type { Alert, AlertEvidence, AlertKind, OutfallSeries } from './detector.js';

export interface RunOptions {
  /** Unflagged samples allowed inside one run (a gap this short does not split it). */
  readonly maxGap: number;
  /** Runs with fewer flagged samples are dropped. */
  readonly minSamples: number;
}

export interface Run {
  /** Indices into the series, inclusive. */
  readonly first: number;
  readonly last: number;
  /** Index of the `minSamples`-th flagged sample: where an online detector fires. */
  readonly fired: number;
  /** Index of the highest ratio in the run. */
  readonly peak: number;
  /** Highest statistic / threshold ratio in the run (>= 1). */
  readonly score: number;
}

/** Runs of samples whose ratio (statistic / threshold) is >= 1, starting at index `from`. */
export function findRuns(ratio: readonly number[], options: RunOptions, from = 0): Run[] {
  const runs: Run[] = [];
  let first = -1;
  let last = -1;
  let peak = -1;
  let count = 0;
  let fired = -1;
  const close = (): void => {
    if (first >= 0 && count >= options.minSamples) runs.push({ first, last, fired, peak, score: ratio[peak]! });
    first = -1;
    count = 0;
  };
  for (let i = from; i < ratio.length; i += 1) {
    const r = ratio[i]!;
    if (!(r >= 1)) continue;
    if (first >= 0 && i - last - 1 > options.maxGap) close();
    if (first < 0) {
      first = i;
      peak = i;
    }
    last = i;
    count += 1;
    if (count === Math.max(1, options.minSamples)) fired = i;
    if (r > ratio[peak]!) peak = i;
  }
  close();
  return runs;
}

/**
 * Builds one alert per run of `series`; `evidence` describes the run. The
 * alert starts where the run fired (its `minSamples`-th flagged sample), so
 * detection delay is measured as an online detector would have it.
 */
export function runsToAlerts(
  series: OutfallSeries,
  kind: AlertKind,
  runs: readonly Run[],
  evidence: (run: Run) => AlertEvidence,
): Alert[] {
  return runs.map((run) => ({
    outfall: series.outfall,
    kind,
    start: series.ts[run.fired]!,
    end: series.ts[run.last]!,
    score: run.score,
    evidence: evidence(run),
  }));
}
