/**
 * Change-point detector: a sustained shift of a channel's level too small for
 * any one sample to stand out (a bypass valve opened a little, an analyzer
 * recalibrated off), found by a two-sided CUSUM on the residuals against the
 * outfall's time-of-day profile (seasonal-baseline.ts). Each side sums
 * z - k (or -z - k) and resets at zero; a shift of d standard deviations is
 * found after about h / (d - k) samples. The decision level h is the largest
 * sum the fitting part reached times a margin, never below `minH`. The
 * alert's start is the change point: where the sum last left zero before it
 * crossed h.
 *
 * Unlike the residual rules, the reference level is not the recent past
 * (which would absorb the very shift sought) but how the plant ran a day to
 * three days before: the median of the hourly median residuals in that
 * lagged window, so slow drift is followed while a change stands out for a day.
 */
import type { Alert, Detector, EvidenceReading, OutfallSeries } from './detector.js';
import { DetectionError, fittedFor, MAX_EVIDENCE_READINGS } from './detector.js';
import { median } from '../series/robust-stats.js';
import type { ChannelBaseline, SeasonalBaselineOptions } from './seasonal-baseline.js';
import { SeasonalBaseline } from './seasonal-baseline.js';
import { samplingInterval } from '../series/series-math.js';
import { WarmupStore } from './warmup.js';

const HOUR_MS = 3_600_000;
/** The reference window: from this long before a sample ... */
const REFERENCE_FROM_MS = 72 * HOUR_MS;
/** ... to this long before it. */
const REFERENCE_TO_MS = 24 * HOUR_MS;

export interface ChangePointDetectorOptions {
  readonly baseline: Partial<SeasonalBaselineOptions>;
  /** Allowance per sample, in robust standard deviations: shifts smaller than this are not sought. */
  readonly k: number;
  readonly margin: number;
  readonly minH: number;
  /** Channels to watch; empty: every channel. */
  readonly channels: readonly string[];
}

export const defaultChangePointOptions: ChangePointDetectorOptions = { baseline: {}, k: 1, margin: 1.5, minH: 20, channels: [] };

interface ChannelModel extends ChannelBaseline {
  readonly h: number;
}

/** CUSUM of z on both sides; per sample the larger side's sum and where that side last left zero. */
export function cusum(z: readonly number[], k: number): { sum: number[]; sign: number[]; since: number[] } {
  const sum = new Array<number>(z.length).fill(0);
  const sign = new Array<number>(z.length).fill(0);
  const since = new Array<number>(z.length).fill(0);
  let up = 0;
  let down = 0;
  let upFrom = 0;
  let downFrom = 0;
  for (let i = 0; i < z.length; i += 1) {
    const v = z[i]!;
    if (Number.isFinite(v)) {
      if (up === 0) upFrom = i;
      if (down === 0) downFrom = i;
      up = Math.max(0, up + v - k);
      down = Math.max(0, down - v - k);
    }
    const upper = up >= down;
    sum[i] = upper ? up : down;
    sign[i] = upper ? 1 : -1;
    since[i] = upper ? upFrom : downFrom;
  }
  return { sum, sign, since };
}

export class ChangePointDetector implements Detector {
  readonly name = 'change-point';
  private readonly options: ChangePointDetectorOptions;
  private readonly baseline: SeasonalBaseline;
  private readonly models = new Map<string, Map<string, ChannelModel>>();
  private warmup = new WarmupStore(0);

  constructor(options: Partial<ChangePointDetectorOptions> = {}) {
    this.options = { ...defaultChangePointOptions, ...options };
    if (!(this.options.k > 0)) throw new DetectionError('BAD_OPTION', `k must be > 0, got ${this.options.k}`);
    this.baseline = new SeasonalBaseline(this.options.baseline);
  }

  async fit(train: readonly OutfallSeries[]): Promise<void> {
    let warm = 0;
    for (const s of train) {
      const perChannel = new Map<string, ChannelModel>();
      for (const name of this.watched(s)) {
        const values = s.channels[name]!;
        const b = this.baseline.fit(s.ts, values, name);
        if (!b) continue;
        const z = this.standardized(s, values, b);
        // The decision level: the largest sum the fitting part itself reached (its own drift).
        const fitted = cusum(z, this.options.k).sum.reduce((a, x) => Math.max(a, x), 0);
        perChannel.set(name, { ...b, h: Math.max(this.options.minH, fitted * this.options.margin) });
        warm = Math.max(warm, Math.ceil(REFERENCE_FROM_MS / samplingInterval(s.ts)));
      }
      this.models.set(s.outfall, perChannel);
    }
    this.warmup = new WarmupStore(warm);
    this.warmup.remember(train);
  }

  async detect(test: readonly OutfallSeries[]): Promise<Alert[]> {
    const alerts: Alert[] = [];
    for (const t of test) {
      const perChannel = fittedFor(this.models, this.name, t.outfall);
      const { series: s, offset } = this.warmup.extend(t);
      for (const [name, m] of perChannel) {
        const values = s.channels[name];
        if (!values) continue;
        const { z, reference } = this.standardizedWithReference(s, values, m);
        const { sum, sign, since } = cusum(z, this.options.k);
        let i = offset;
        while (i < sum.length) {
          if (!(sum[i]! >= m.h)) {
            i += 1;
            continue;
          }
          const start = Math.max(offset, since[i]!);
          const fired = i;
          let last = i;
          let peak = i;
          while (last + 1 < sum.length && sum[last + 1]! > 0 && sign[last + 1] === sign[fired]) {
            last += 1;
            if (sum[last]! > sum[peak]!) peak = last;
          }
          const readings: EvidenceReading[] = [];
          for (let j = start; j <= last && readings.length < MAX_EVIDENCE_READINGS; j += Math.max(1, Math.floor((last - start + 1) / MAX_EVIDENCE_READINGS))) {
            const p = this.baseline.profileAt(m.profile, s.ts[j]!) + reference[j]!;
            readings.push({ ts: s.ts[j]!, channel: name, value: values[j]!, expected: m.log ? Math.exp(p) : p });
          }
          const shift = median(z.slice(start, last + 1));
          alerts.push({
            outfall: s.outfall,
            kind: 'level-shift',
            start: s.ts[fired]!,
            end: s.ts[last]!,
            score: sum[peak]! / m.h,
            evidence: {
              detector: this.name,
              threshold: m.h,
              readings,
              note: `${name} ${sign[fired]! > 0 ? 'up' : 'down'} by about ${Math.abs(shift).toFixed(1)} standard deviations from ${new Date(s.ts[start]!).toISOString()} against how it ran before (CUSUM ${sum[peak]!.toFixed(0)} over ${m.h.toFixed(0)}): a lasting change of level`,
            },
          });
          i = last + 1;
        }
      }
    }
    return alerts;
  }

  private standardized(s: OutfallSeries, values: readonly number[], b: ChannelBaseline): number[] {
    return this.standardizedWithReference(s, values, b).z;
  }

  /**
   * z of each sample's residual (against the time-of-day profile, transformed units) from the reference
   * level: the median of the hourly median residuals 72 h to 24 h before it (NaN until a day of those exists).
   */
  private standardizedWithReference(s: OutfallSeries, values: readonly number[], b: ChannelBaseline): { z: number[]; reference: number[] } {
    const r = values.map((v, i) => (Number.isFinite(v) && (!b.log || v > 0) ? (b.log ? Math.log(v) : v) - this.baseline.profileAt(b.profile, s.ts[i]!) : Number.NaN));
    const hours = new Map<number, number[]>();
    r.forEach((x, i) => {
      if (!Number.isFinite(x)) return;
      const h = Math.floor(s.ts[i]! / HOUR_MS);
      const list = hours.get(h) ?? [];
      list.push(x);
      hours.set(h, list);
    });
    const hourly = new Map([...hours].map(([h, xs]) => [h, median(xs)] as const));
    const cache = new Map<number, number>();
    const reference = s.ts.map((t) => {
      const h = Math.floor(t / HOUR_MS);
      let ref = cache.get(h);
      if (ref === undefined) {
        const window: number[] = [];
        for (let k = h - REFERENCE_FROM_MS / HOUR_MS; k < h - REFERENCE_TO_MS / HOUR_MS; k += 1) {
          const m = hourly.get(k);
          if (m !== undefined) window.push(m);
        }
        ref = window.length >= 24 ? median(window) : Number.NaN;
        cache.set(h, ref);
      }
      return ref;
    });
    return { z: r.map((x, i) => (x - reference[i]!) / b.scale), reference };
  }

  private watched(s: OutfallSeries): string[] {
    const names = Object.keys(s.channels);
    return this.options.channels.length === 0 ? names : names.filter((n) => this.options.channels.includes(n));
  }
}
