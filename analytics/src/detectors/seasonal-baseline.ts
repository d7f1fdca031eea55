/**
 * What one channel of one outfall is expected to read at a moment: its
 * time-of-day profile (an outfall's flow and concentrations follow its
 * plant's day) plus a slowly moving level (drift over hours), both robust.
 * The residual against that expectation, in units of the channel's own noise,
 * is the z-score every residual rule works on.
 *
 * Positive channels (flow, concentrations) are modelled in log space, so a
 * bypass that triples the flow is the same step at noon and at 3 a.m.; pH and
 * channels that can go to zero or below stay linear.
 *
 * The level is a trailing median of the residuals. Samples flagged as
 * anomalous are kept out of it, so a discharge lasting an hour is measured
 * against the level before it rather than becoming the new normal; after
 * `maxHold` flagged samples in a row the level accepts them (a lasting change:
 * the alert ends there and the new level is the norm).
 */
import { MAD_TO_SIGMA, SortedWindow, mad, median, resolution } from '../series/robust-stats.js';
import { samplingInterval } from '../series/series-math.js';

const DAY_MS = 86_400_000;

export interface SeasonalBaselineOptions {
  /** Time-of-day slots per day (48: half-hour slots). */
  readonly slots: number;
  /** Hours east of UTC of the plant's local time (the profile is by local time of day). */
  readonly utcOffsetHours: number;
  /** Trailing window of the level, ms. */
  readonly levelWindowMs: number;
  /** Longest anomaly kept out of the level before it is accepted as a new level, ms. */
  readonly maxHoldMs: number;
}

export const defaultSeasonalOptions: SeasonalBaselineOptions = {
  slots: 48,
  utcOffsetHours: 8,
  levelWindowMs: 3 * 3_600_000,
  maxHoldMs: 6 * 3_600_000,
};

/** The fitted model of one channel. */
export interface ChannelBaseline {
  readonly log: boolean;
  /** Transformed median per time-of-day slot. */
  readonly profile: readonly number[];
  /** Robust standard deviation of the residual after profile and level. */
  readonly scale: number;
  /** Trailing level window, in samples (from the outfall's sampling interval). */
  readonly levelSamples: number;
  readonly maxHoldSamples: number;
}

export interface Residuals {
  /** Signed z per sample; NaN where the value is missing or the level is not yet known. */
  readonly z: number[];
  /** The expected value per sample, in the channel's own units. */
  readonly expected: number[];
}


export class SeasonalBaseline {
  readonly options: SeasonalBaselineOptions;
  constructor(options: Partial<SeasonalBaselineOptions> = {}) {
    this.options = { ...defaultSeasonalOptions, ...options };
  }

  slotOf(ts: number): number {
    return Math.floor(this.slotPosition(ts));
  }

  /** Position in the day in slots (0 <= x < slots), by local time. */
  private slotPosition(ts: number): number {
    const local = (((ts + this.options.utcOffsetHours * 3_600_000) % DAY_MS) + DAY_MS) % DAY_MS;
    return (local / DAY_MS) * this.options.slots;
  }

  /**
   * The profile at `ts`, interpolated between slot centres, so a steep
   * morning ramp is followed within a slot rather than stepped.
   */
  profileAt(profile: readonly number[], ts: number): number {
    const n = profile.length;
    const x = this.slotPosition(ts) - 0.5;
    const lo = Math.floor(x);
    const f = x - lo;
    return profile[(lo + n) % n]! * (1 - f) + profile[(lo + 1) % n]! * f;
  }

  /** Learns the profile and the noise scale of one channel from its fitting part. */
  fit(ts: readonly number[], values: readonly number[], channel: string): ChannelBaseline | undefined {
    const finite = values.filter((v) => Number.isFinite(v));
    if (finite.length < 30) return undefined;
    const log = channel !== 'ph' && finite.every((v) => v > 0);
    const y = values.map((v) => (log ? Math.log(v) : v));
    const bySlot: number[][] = Array.from({ length: this.options.slots }, () => []);
    ts.forEach((t, i) => {
      if (Number.isFinite(y[i]!)) bySlot[this.slotOf(t)]!.push(y[i]!);
    });
    const overall = median(y.filter((v) => Number.isFinite(v)));
    const profile = bySlot.map((s) => (s.length >= 3 ? median(s) : overall));
    const step = samplingInterval(ts);
    const levelSamples = Math.max(5, Math.round(this.options.levelWindowMs / step));
    const maxHoldSamples = Math.max(1, Math.round(this.options.maxHoldMs / step));
    const provisional: ChannelBaseline = { log, profile, scale: 1, levelSamples, maxHoldSamples };
    const e = this.residuals(ts, values, provisional, Number.POSITIVE_INFINITY).z.filter((v) => Number.isFinite(v));
    // The noise floor: the analyzer's resolution, in the transformed units.
    const res = resolution(finite);
    const floor = log ? res / median(finite) : res;
    const scale = Math.max(MAD_TO_SIGMA * mad(e), floor > 0 && Number.isFinite(floor) ? floor : 1e-9);
    return { ...provisional, scale };
  }

  /**
   * z and expected value per sample. Samples with |z| >= `holdAt` stay out of
   * the level (up to the channel's `maxHoldSamples` in a row).
   */
  residuals(ts: readonly number[], values: readonly number[], b: ChannelBaseline, holdAt: number): Residuals {
    const n = values.length;
    const z = new Array<number>(n).fill(Number.NaN);
    const expected = new Array<number>(n).fill(Number.NaN);
    const win = new SortedWindow(Math.max(3, b.levelSamples));
    const minFill = Math.max(3, Math.min(10, Math.ceil(b.levelSamples / 4)));
    let held: number[] = [];
    for (let i = 0; i < n; i += 1) {
      const v = values[i]!;
      if (!Number.isFinite(v) || (b.log && !(v > 0))) {
        // A zero or negative reading of a log channel is itself far off: score it against the lowest positive.
        if (b.log && Number.isFinite(v) && win.length >= minFill) {
          const p = this.profileAt(b.profile, ts[i]!) + win.median();
          expected[i] = Math.exp(p);
          z[i] = (Math.log(Number.MIN_VALUE) - p) / b.scale;
        }
        continue;
      }
      const expectedShape = this.profileAt(b.profile, ts[i]!);
      const r = (b.log ? Math.log(v) : v) - expectedShape;
      if (win.length >= minFill) {
        const level = win.median();
        const p = expectedShape + level;
        expected[i] = b.log ? Math.exp(p) : p;
        z[i] = (r - level) / b.scale;
      }
      if (Math.abs(z[i]!) >= holdAt) {
        held.push(r);
        if (held.length < b.maxHoldSamples) continue;
        // A lasting change: the held samples become the level.
        for (const h of held) win.push(h);
        held = [];
        continue;
      }
      // After a long hold the window is stale (drift went on meanwhile): start it afresh.
      if (held.length >= minFill) win.clear();
      held = [];
      win.push(r);
    }
    return { z, expected };
  }
}
