/**
 * The rules an inspector would write, on residuals against each outfall's own
 * time-of-day profile and level (see seasonal-baseline.ts), per sample:
 *
 * - dilution: flow well above its expected value while the concentrations are
 *   well below theirs (clean water added so the concentrations pass);
 * - bypass-dump: flow and concentrations both well above (untreated water);
 * - spike: one or more concentrations above their expected values;
 * - night-flow: flow above expected in the plant's quiet hours (its own
 *   profile's low slots), concentrations normal; flow-surge in the day;
 * - anomaly: any other channel far off (a drop, a pH swing within the legal range).
 *
 * Each channel's threshold is a high quantile of its own |z| on the fitting
 * part times a margin; the joint rules (dilution, dump) ask both sides to pass
 * a fraction of their thresholds, since both moving together is rarer than
 * either alone. Flagged samples form runs (short gaps bridged); an alert's
 * kind is the kind at its strongest sample.
 */
import type { Alert, AlertKind, Detector, EvidenceReading, OutfallSeries } from './detector.js';
import { CHANNELS, DetectionError, fittedFor, MAX_EVIDENCE_READINGS } from './detector.js';
import { quantile } from '../series/robust-stats.js';
import { findRuns } from './runs.js';
import type { ChannelBaseline, SeasonalBaselineOptions } from './seasonal-baseline.js';
import { SeasonalBaseline } from './seasonal-baseline.js';
import { WarmupStore } from './warmup.js';

export interface ResidualDetectorOptions {
  readonly baseline: Partial<SeasonalBaselineOptions>;
  /** Quantile of the fitting part's |z| that sets a channel's threshold. */
  readonly quantile: number;
  readonly margin: number;
  /** Lowest threshold, in robust standard deviations. */
  readonly minZ: number;
  /** Share of each side's threshold the joint rules (dilution, dump) need. */
  readonly jointFraction: number;
  /**
   * Samples beyond this multiple of a channel's threshold stay out of its level
   * (a gross discharge must not become the norm); milder ones move it, so the
   * level keeps up with drift that went on while a discharge was held out.
   */
  readonly holdFactor: number;
  /** Profile slots whose expected flow is under this share of the daily median are the plant's quiet hours. */
  readonly quietShare: number;
  readonly maxGap: number;
  readonly minSamples: number;
}

export const defaultResidualOptions: ResidualDetectorOptions = {
  baseline: {},
  quantile: 0.9995,
  margin: 1.25,
  minZ: 5,
  jointFraction: 0.5,
  holdFactor: 2,
  quietShare: 0.6,
  maxGap: 2,
  // Two flagged samples: one sample of delay for far fewer one-sample blips.
  minSamples: 2,
};

interface OutfallModel {
  readonly channels: Map<string, ChannelBaseline & { readonly threshold: number }>;
  /** Threshold of the mean concentration z. */
  readonly concThreshold: number;
  readonly quietSlots: ReadonlySet<number>;
}

interface Scored {
  readonly z: Map<string, number[]>;
  readonly expected: Map<string, number[]>;
  readonly concZ: number[];
}

/** Mean z of the concentration channels present at each sample. */
function meanConcentrationZ(z: ReadonlyMap<string, readonly number[]>, n: number): number[] {
  const channels = CHANNELS.concentrations.filter((c) => z.has(c)).map((c) => z.get(c)!);
  const out = new Array<number>(n).fill(Number.NaN);
  for (let i = 0; i < n; i += 1) {
    let sum = 0;
    let count = 0;
    for (const c of channels) {
      if (Number.isFinite(c[i]!)) {
        sum += c[i]!;
        count += 1;
      }
    }
    if (count) out[i] = sum / count;
  }
  return out;
}

export class ResidualDetector implements Detector {
  readonly name = 'residual';
  private readonly options: ResidualDetectorOptions;
  private readonly baseline: SeasonalBaseline;
  private readonly models = new Map<string, OutfallModel>();
  private warmup = new WarmupStore(0);

  constructor(options: Partial<ResidualDetectorOptions> = {}) {
    this.options = { ...defaultResidualOptions, ...options };
    if (!(this.options.quantile > 0 && this.options.quantile <= 1)) throw new DetectionError('BAD_OPTION', `quantile must be in (0, 1], got ${this.options.quantile}`);
    if (!(this.options.jointFraction > 0 && this.options.jointFraction <= 1)) throw new DetectionError('BAD_OPTION', `jointFraction must be in (0, 1], got ${this.options.jointFraction}`);
    this.baseline = new SeasonalBaseline(this.options.baseline);
  }

  async fit(train: readonly OutfallSeries[]): Promise<void> {
    let warm = 0;
    for (const s of train) {
      const channels = new Map<string, ChannelBaseline & { threshold: number }>();
      for (const [name, values] of Object.entries(s.channels)) {
        const b = this.baseline.fit(s.ts, values, name);
        if (!b) continue;
        const z = this.baseline.residuals(s.ts, values, b, Number.POSITIVE_INFINITY).z.map(Math.abs);
        channels.set(name, { ...b, threshold: this.threshold(z) });
        warm = Math.max(warm, b.levelSamples);
      }
      const scored = this.score(s, { channels, concThreshold: Number.POSITIVE_INFINITY, quietSlots: new Set() }, false);
      const flow = channels.get(CHANNELS.flow);
      const quietSlots = new Set<number>();
      if (flow) {
        const sorted = [...flow.profile].sort((a, b) => a - b);
        const mid = sorted[sorted.length >> 1]!;
        flow.profile.forEach((p, slot) => {
          const share = flow.log ? Math.exp(p - mid) : p / mid;
          if (share < this.options.quietShare) quietSlots.add(slot);
        });
      }
      this.models.set(s.outfall, { channels, concThreshold: this.threshold(scored.concZ.map(Math.abs)), quietSlots });
    }
    this.warmup = new WarmupStore(warm * 2);
    this.warmup.remember(train);
  }

  async detect(test: readonly OutfallSeries[]): Promise<Alert[]> {
    const alerts: Alert[] = [];
    for (const t of test) {
      const model = fittedFor(this.models, this.name, t.outfall);
      const { series, offset } = this.warmup.extend(t);
      const scored = this.score(series, model, true);
      const { ratio, kinds } = this.classify(series, model, scored);
      for (const run of findRuns(ratio, { maxGap: this.options.maxGap, minSamples: this.options.minSamples }, offset)) {
        const kind = kinds[run.peak]!;
        alerts.push({
          outfall: series.outfall,
          kind,
          start: series.ts[run.fired]!,
          end: series.ts[run.last]!,
          score: run.score,
          evidence: this.evidence(series, model, scored, run.first, run.last, run.peak, kind),
        });
      }
    }
    return alerts;
  }

  private threshold(absZ: readonly number[]): number {
    const q = quantile(absZ, this.options.quantile);
    return Math.max(this.options.minZ, Number.isFinite(q) ? q * this.options.margin : this.options.minZ);
  }

  private score(s: OutfallSeries, model: OutfallModel, hold: boolean): Scored {
    const z = new Map<string, number[]>();
    const expected = new Map<string, number[]>();
    for (const [name, b] of model.channels) {
      const values = s.channels[name];
      if (!values) continue;
      const r = this.baseline.residuals(s.ts, values, b, hold ? b.threshold * this.options.holdFactor : Number.POSITIVE_INFINITY);
      z.set(name, r.z);
      expected.set(name, r.expected);
    }
    return { z, expected, concZ: meanConcentrationZ(z, s.ts.length) };
  }

  /** Per sample: the strongest rule's statistic / threshold, and its kind. */
  private classify(s: OutfallSeries, model: OutfallModel, scored: Scored): { ratio: number[]; kinds: AlertKind[] } {
    const n = s.ts.length;
    const ratio = new Array<number>(n).fill(0);
    const kinds = new Array<AlertKind>(n).fill('anomaly');
    const flowModel = model.channels.get(CHANNELS.flow);
    const flowZ = scored.z.get(CHANNELS.flow);
    const j = this.options.jointFraction;
    const concentrations: readonly string[] = CHANNELS.concentrations.filter((c) => scored.z.has(c));
    for (let i = 0; i < n; i += 1) {
      let best = 0;
      let kind: AlertKind = 'anomaly';
      const consider = (r: number, k: AlertKind): void => {
        if (r > best) {
          best = r;
          kind = k;
        }
      };
      const fz = flowZ ? flowZ[i]! : Number.NaN;
      const cz = scored.concZ[i]!;
      if (flowModel && Number.isFinite(fz) && Number.isFinite(cz)) {
        const f = fz / (j * flowModel.threshold);
        const c = cz / (j * model.concThreshold);
        // Joint rules win over single-channel ones at equal strength: they name the act.
        if (f >= 1 && -c >= 1) consider(1e-9 + Math.min(f, -c) * 2, 'dilution');
        if (f >= 1 && c >= 1) consider(1e-9 + Math.min(f, c) * 2, 'bypass-dump');
      }
      if (flowModel && Number.isFinite(fz)) {
        const r = Math.abs(fz) / flowModel.threshold;
        consider(r, fz > 0 ? (model.quietSlots.has(this.baseline.slotOf(s.ts[i]!)) ? 'night-flow' : 'flow-surge') : 'anomaly');
      }
      for (const c of concentrations) {
        const z = scored.z.get(c)![i]!;
        if (!Number.isFinite(z)) continue;
        consider(Math.abs(z) / model.channels.get(c)!.threshold, z > 0 ? 'spike' : 'anomaly');
      }
      for (const [name, z] of scored.z) {
        if (name === CHANNELS.flow || concentrations.includes(name)) continue;
        if (Number.isFinite(z[i]!)) consider(Math.abs(z[i]!) / model.channels.get(name)!.threshold, 'anomaly');
      }
      ratio[i] = best;
      kinds[i] = kind;
    }
    return { ratio, kinds };
  }

  private evidence(s: OutfallSeries, model: OutfallModel, scored: Scored, first: number, last: number, peak: number, kind: AlertKind): Alert['evidence'] {
    const readings: (EvidenceReading & { r: number })[] = [];
    for (const [channel, z] of scored.z) {
      const threshold = model.channels.get(channel)!.threshold;
      for (let i = first; i <= last; i += 1) {
        const r = Math.abs(z[i]!) / threshold;
        if (r >= this.options.jointFraction) readings.push({ ts: s.ts[i]!, channel, value: s.channels[channel]![i]!, expected: scored.expected.get(channel)![i]!, r });
      }
    }
    readings.sort((a, b) => b.r - a.r);
    const at = (channel: string): string => {
      const v = s.channels[channel]?.[peak];
      const e = scored.expected.get(channel)?.[peak];
      return v === undefined || e === undefined ? '' : `${channel} ${round(v)} (expected ${round(e)}, x${round(v / e)})`;
    };
    const moved = [...scored.z].filter(([c, z]) => Math.abs(z[peak]!) >= this.options.jointFraction * model.channels.get(c)!.threshold).map(([c]) => at(c));
    const what: Record<AlertKind, string> = {
      dilution: 'flow up while concentrations fell, the load about the same: dilution',
      'bypass-dump': 'flow and concentrations up together: untreated discharge',
      spike: 'concentration above its usual level for this time of day',
      'night-flow': "flow above the plant's usual level in its quiet hours",
      'flow-surge': 'flow above its usual level for this time of day',
      anomaly: 'reading far from its usual level for this time of day',
      'level-shift': '',
      flatline: '',
      replay: '',
      'ph-out-of-range': '',
    };
    return {
      detector: this.name,
      threshold: Math.min(...[...model.channels.values()].map((c) => c.threshold)),
      readings: readings.slice(0, MAX_EVIDENCE_READINGS).map(({ r: _r, ...e }) => e),
      note: `${what[kind]}; at the peak ${moved.join(', ')}`,
    };
  }
}

const round = (x: number): number => Number(x.toPrecision(3));
