/**
 * Dilution detector: flow up while concentrations go down, the load staying
 * about the same (clean water added to pass the concentration limits). The
 * statistic is the rolling robust z-score of d = log(flow) - mean log(concentration):
 * flow x k and every concentration / k raise d by 2 log k while the load
 * log(flow) + log(concentration) does not move. It alerts when d's z is over
 * the threshold chosen on the fitting part and, at the same sample, flow is
 * above its rolling median and the concentrations below theirs.
 */
import type { Alert, Detector, OutfallSeries } from './detector.js';
import { CHANNELS, DetectionError, MAX_EVIDENCE_READINGS } from './detector.js';
import { quantile } from './robust-stats.js';
import { rollingZ } from './rolling-z.js';
import { findRuns, runsToAlerts } from './runs.js';
import { WarmupStore } from './warmup.js';

export interface DilutionDetectorOptions {
  /** Trailing window, samples. */
  readonly window: number;
  readonly quantile: number;
  readonly margin: number;
  readonly minZ: number;
  /** Floor of the MAD of d (natural log units): 0.02 is a 2% change. */
  readonly madFloor: number;
  readonly maxGap: number;
  readonly flowChannel: string;
  readonly concentrationChannels: readonly string[];
}

export const defaultDilutionOptions: DilutionDetectorOptions = {
  window: 60,
  quantile: 0.999,
  margin: 1.2,
  minZ: 5,
  madFloor: 0.02,
  maxGap: 2,
  flowChannel: CHANNELS.flow,
  concentrationChannels: CHANNELS.concentrations,
};

interface Signals {
  readonly d: number[];
  readonly logFlow: number[];
  readonly logConc: number[];
  readonly used: string[];
}

export class DilutionDetector implements Detector {
  readonly name = 'dilution';
  private readonly options: DilutionDetectorOptions;
  private readonly thresholds = new Map<string, number>();
  private readonly warmup: WarmupStore;

  constructor(options: Partial<DilutionDetectorOptions> = {}) {
    this.options = { ...defaultDilutionOptions, ...options };
    if (!(this.options.madFloor > 0)) throw new DetectionError('BAD_OPTION', `madFloor must be > 0, got ${this.options.madFloor}`);
    this.warmup = new WarmupStore(this.options.window);
  }

  async fit(train: readonly OutfallSeries[]): Promise<void> {
    for (const s of train) {
      const sig = this.signals(s);
      if (!sig) continue;
      const z = this.z(sig.d, this.options.minZ).map(Math.abs);
      this.thresholds.set(s.outfall, Math.max(this.options.minZ, quantile(z, this.options.quantile) * this.options.margin));
    }
    this.warmup.remember(train);
  }

  async detect(test: readonly OutfallSeries[]): Promise<Alert[]> {
    const alerts: Alert[] = [];
    for (const t of test) {
      const threshold = this.thresholds.get(t.outfall);
      if (threshold === undefined) continue; // no flow or no concentration: nothing to dilute
      const { series, offset } = this.warmup.extend(t);
      const sig = this.signals(series);
      if (!sig) continue;
      const dz = rollingZ(sig.d, { window: this.options.window, madFloor: this.options.madFloor, holdAt: threshold });
      const zd = dz.z;
      const flow = rollingZ(sig.logFlow, { window: this.options.window, madFloor: this.options.madFloor, holdAt: threshold });
      const conc = rollingZ(sig.logConc, { window: this.options.window, madFloor: this.options.madFloor, holdAt: threshold });
      const ratio = zd.map((z, i) => (i >= offset && flow.z[i]! > 0 && conc.z[i]! < 0 ? z / threshold : 0));
      const runs = findRuns(ratio, { maxGap: this.options.maxGap, minSamples: 1 });
      const flowValues = series.channels[this.options.flowChannel]!;
      alerts.push(
        ...runsToAlerts(series, 'dilution', runs, (run) => {
          const readings = [];
          for (let i = run.first; i <= run.last && readings.length < MAX_EVIDENCE_READINGS; i += 1) {
            if (!(ratio[i]! >= 1)) continue;
            readings.push({ ts: series.ts[i]!, channel: this.options.flowChannel, value: flowValues[i]!, expected: Math.exp(flow.expected[i]!) });
          }
          // d rises by 2 log k when flow is multiplied and concentrations divided by k.
          const k = Math.exp((sig.d[run.peak]! - dz.expected[run.peak]!) / 2);
          return {
            detector: this.name,
            threshold,
            readings,
            note: `flow up and ${sig.used.join(', ')} down together (about x${k.toFixed(2)} / ${k.toFixed(2)} at the peak), load unchanged: dilution`,
          };
        }),
      );
    }
    return alerts;
  }

  private z(d: readonly number[], holdAt: number): number[] {
    // Fitting uses minZ as the hold level; detection uses the fitted threshold.
    return rollingZ(d, { window: this.options.window, madFloor: this.options.madFloor, holdAt }).z;
  }

  private signals(s: OutfallSeries): Signals | undefined {
    const flow = s.channels[this.options.flowChannel];
    const used = this.options.concentrationChannels.filter((c) => s.channels[c] !== undefined);
    if (!flow || used.length === 0) return undefined;
    const logFlow = flow.map((v) => (v > 0 ? Math.log(v) : Number.NaN));
    const logConc = s.ts.map((_, i) => {
      let sum = 0;
      for (const c of used) {
        const v = s.channels[c]![i]!;
        if (!(v > 0)) return Number.NaN;
        sum += Math.log(v);
      }
      return sum / used.length;
    });
    return { d: logFlow.map((f, i) => f - logConc[i]!), logFlow, logConc, used };
  }
}
