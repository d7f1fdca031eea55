/**
 * Flatline detector (tampering, a frozen analyzer): a channel repeating the
 * exact same value for longer than it ever did on the fitting part. The
 * threshold per channel is the longest repeat seen while fitting times a
 * margin, never under `minRun` samples. Alerts start when the run crosses the
 * threshold (when an online detector would fire); the evidence gives the run's
 * first sample.
 */
import type { Alert, Detector, OutfallSeries } from './detector.js';
import { DetectionError } from './detector.js';
import { findRuns, runsToAlerts } from './runs.js';
import { WarmupStore } from './warmup.js';

export interface FlatlineDetectorOptions {
  /** Shortest repeat that can alert, in samples. */
  readonly minRun: number;
  /** Threshold = max(minRun + 2, ceil(longest repeat on the fitting part x margin), longest + 2). */
  readonly margin: number;
  /** Values closer than this count as repeated (0: exactly equal, as a frozen register reads). */
  readonly tolerance: number;
  /** Channels to watch; empty: every channel. */
  readonly channels: readonly string[];
  /**
   * This many channels repeating together for `minRun` samples alert at once,
   * whatever each channel's own threshold: a frozen register block or a stuck
   * data logger freezes several values at the same moment, which noise never does.
   * Only fine channels count (those that never repeated `minRun` times on the
   * fitting part): coarse analyzers repeat by chance, together too.
   */
  readonly jointChannels: number;
}

export const defaultFlatlineOptions: FlatlineDetectorOptions = { minRun: 3, margin: 1.5, tolerance: 0, channels: [], jointChannels: 3 };

/** Length of the repeat each sample ends (1 for a value that differs from the one before). */
export function repeatLengths(values: readonly number[], tolerance: number): number[] {
  const out: number[] = new Array<number>(values.length).fill(0);
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    const prev = i > 0 ? values[i - 1]! : Number.NaN;
    out[i] = Number.isFinite(prev) && Math.abs(v - prev) <= tolerance ? out[i - 1]! + 1 : 1;
  }
  return out;
}

export class FlatlineDetector implements Detector {
  readonly name = 'flatline';
  private readonly options: FlatlineDetectorOptions;
  private readonly thresholds = new Map<string, Map<string, number>>();
  /** Per outfall: the fine channels, and how many of them must freeze together. */
  private readonly joint = new Map<string, { fine: ReadonlySet<string>; threshold: number }>();
  private readonly warmup: WarmupStore;

  constructor(options: Partial<FlatlineDetectorOptions> = {}) {
    this.options = { ...defaultFlatlineOptions, ...options };
    if (!(this.options.minRun >= 2)) throw new DetectionError('BAD_OPTION', `minRun must be >= 2, got ${this.options.minRun}`);
    // Enough history to carry a repeat that began before the test part.
    this.warmup = new WarmupStore(10_000);
  }

  async fit(train: readonly OutfallSeries[]): Promise<void> {
    for (const s of train) {
      const perChannel = new Map<string, number>();
      const fine = new Set<string>();
      for (const name of this.watched(s)) {
        const longest = repeatLengths(s.channels[name]!, this.options.tolerance).reduce((a, b) => Math.max(a, b), 0);
        // One channel alone needs more than the joint rule: a single coarse value repeats by chance.
        perChannel.set(name, Math.max(this.options.minRun + 2, Math.ceil(longest * this.options.margin), longest + 2));
        if (longest < this.options.minRun) fine.add(name);
      }
      this.thresholds.set(s.outfall, perChannel);
      // Fewer than two fine channels: no joint rule (Infinity), each channel on its own threshold.
      this.joint.set(s.outfall, { fine, threshold: fine.size >= 2 ? Math.min(this.options.jointChannels, fine.size) : Number.POSITIVE_INFINITY });
    }
    this.warmup.remember(train);
  }

  async detect(test: readonly OutfallSeries[]): Promise<Alert[]> {
    const alerts: Alert[] = [];
    for (const t of test) {
      const perChannel = this.thresholds.get(t.outfall);
      if (!perChannel) throw new DetectionError('NOT_FITTED', `flatline: outfall ${t.outfall} was not in the fitting part`);
      const { series, offset } = this.warmup.extend(t);
      const ratio: number[] = new Array<number>(series.ts.length).fill(0);
      const lengths = new Map<string, number[]>();
      const joint: number[] = new Array<number>(series.ts.length).fill(0);
      const { fine, threshold: jointThreshold } = this.joint.get(t.outfall)!;
      for (const [name, threshold] of perChannel) {
        const values = series.channels[name];
        if (!values) continue;
        const len = repeatLengths(values, this.options.tolerance);
        lengths.set(name, len);
        for (let i = offset; i < len.length; i += 1) {
          ratio[i] = Math.max(ratio[i]!, len[i]! / threshold);
          if (fine.has(name) && len[i]! >= this.options.minRun) joint[i] = joint[i]! + 1;
        }
      }
      for (let i = offset; i < joint.length; i += 1) if (joint[i]! >= jointThreshold) ratio[i] = Math.max(ratio[i]!, 1);
      const runs = findRuns(ratio, { maxGap: 0, minSamples: 1 }, offset);
      alerts.push(
        ...runsToAlerts(series, 'flatline', runs, (run) => {
          const frozen = [...lengths].filter(([, len]) => {
            for (let i = run.first; i <= run.last; i += 1) if (len[i]! >= this.options.minRun) return true;
            return false;
          });
          const readings = frozen.map(([channel, len]) => {
            const firstOfRepeat = run.last - len[run.last]! + 1;
            const before = firstOfRepeat > 0 ? series.channels[channel]![firstOfRepeat - 1]! : Number.NaN;
            return { ts: series.ts[firstOfRepeat]!, channel, value: series.channels[channel]![run.last]!, expected: before };
          });
          const longest = Math.max(...frozen.map(([, len]) => len[run.last]!));
          return {
            detector: this.name,
            threshold: Math.min(...frozen.map(([name]) => perChannel.get(name)!)),
            readings,
            note: `${frozen.map(([n]) => n).join(', ')} repeated the same value for ${longest} samples; the evidence ts is where each repeat began and expected is the value before it`,
          };
        }),
      );
    }
    return alerts;
  }

  private watched(s: OutfallSeries): string[] {
    const names = Object.keys(s.channels);
    return this.options.channels.length === 0 ? names : names.filter((n) => this.options.channels.includes(n));
  }
}
