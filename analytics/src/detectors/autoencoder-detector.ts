/**
 * Autoencoder detector (TensorFlow.js): per outfall, a small dense
 * autoencoder over windows of `window` samples of every channel. Each value
 * enters as its rolling robust z-score (against the median/MAD of the
 * `baselineWindow` samples before it, anomalies held out of the baseline as in
 * rolling-z.ts), so slow drift and the daily cycle do not look new; the
 * network learns how the channels' deviations move together. A sample's statistic is the
 * reconstruction error of the window that ends at it (what an online
 * detector sees); the threshold is a high quantile of the fitting part's
 * errors times a margin.
 *
 * Runs on @tensorflow/tfjs (cpu backend); the same layers and training run on
 * tfjs-node where it installs. Models are saved with tf.io.withSaveHandler and
 * loaded with tf.io.fromMemory, never through file://.
 */
import * as tf from '@tensorflow/tfjs';
import type { Alert, Detector, OutfallSeries } from './detector.js';
import { DetectionError, fittedFor, MAX_EVIDENCE_READINGS } from './detector.js';
import { MAD_TO_SIGMA, mad, median, quantile, resolution } from '../series/robust-stats.js';
import { rollingZ } from './rolling-z.js';
import { findRuns, runsToAlerts } from './runs.js';
import { WarmupStore } from './warmup.js';

export interface AutoencoderDetectorOptions {
  /** Samples per window. */
  readonly window: number;
  /** Trailing samples of the rolling median/MAD each value is scaled against. */
  readonly baselineWindow: number;
  /** A value this many robust SDs from its baseline is held out of the baseline. */
  readonly holdAt: number;
  /** Units of the code layer; the hidden layers have 4x as many. */
  readonly code: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly quantile: number;
  readonly margin: number;
  /** Scaled values are clipped to +-clip before they enter the network. */
  readonly clip: number;
  /** Seed of the weight initializers (training does not shuffle, so a fit is repeatable). */
  readonly seed: number;
  readonly maxGap: number;
  readonly minSamples: number;
}

export const defaultAutoencoderOptions: AutoencoderDetectorOptions = {
  window: 8,
  baselineWindow: 120,
  holdAt: 6,
  code: 4,
  epochs: 8,
  batchSize: 64,
  learningRate: 0.01,
  quantile: 0.999,
  margin: 1.5,
  clip: 20,
  seed: 42,
  maxGap: 2,
  minSamples: 1,
};

interface OutfallModel {
  readonly channels: readonly string[];
  /** Fitted median and robust SD per channel (evidence) and the MAD floor of its rolling baseline. */
  readonly center: readonly number[];
  readonly scale: readonly number[];
  threshold: number;
  readonly model: tf.LayersModel;
}

/** What `save` returns per outfall: the model's artifacts and the scaler and threshold beside them. */
export interface SavedOutfallModel {
  readonly outfall: string;
  readonly channels: readonly string[];
  readonly center: readonly number[];
  readonly scale: readonly number[];
  readonly threshold: number;
  readonly artifacts: tf.io.ModelArtifacts;
}

export class AutoencoderDetector implements Detector {
  readonly name = 'autoencoder';
  private readonly options: AutoencoderDetectorOptions;
  private readonly models = new Map<string, OutfallModel>();
  private readonly warmup: WarmupStore;

  constructor(options: Partial<AutoencoderDetectorOptions> = {}) {
    this.options = { ...defaultAutoencoderOptions, ...options };
    if (!(Number.isInteger(this.options.window) && this.options.window >= 1)) throw new DetectionError('BAD_OPTION', `window must be an integer >= 1, got ${this.options.window}`);
    this.warmup = new WarmupStore(this.options.window + this.options.baselineWindow);
  }

  async fit(train: readonly OutfallSeries[]): Promise<void> {
    for (const s of train) {
      const channels = Object.keys(s.channels).filter((c) => Number.isFinite(mad(s.channels[c]!)));
      const center = channels.map((c) => median(s.channels[c]!));
      const scale = channels.map((c) => MAD_TO_SIGMA * Math.max(mad(s.channels[c]!), resolution(s.channels[c]!), 1e-9));
      const model = this.build(channels.length * this.options.window);
      const entry: OutfallModel = { channels, center, scale, threshold: Number.POSITIVE_INFINITY, model };
      const windows = this.windows(s, entry);
      if (windows.rows === 0) continue;
      const x = tf.tensor2d(windows.data, [windows.rows, windows.width]);
      try {
        await model.fit(x, x, { epochs: this.options.epochs, batchSize: this.options.batchSize, shuffle: false, verbose: 0 });
      } finally {
        x.dispose();
      }
      const errors = this.errors(entry, windows);
      entry.threshold = quantile(errors, this.options.quantile) * this.options.margin;
      this.models.set(s.outfall, entry);
    }
    this.warmup.remember(train);
  }

  async detect(test: readonly OutfallSeries[]): Promise<Alert[]> {
    const alerts: Alert[] = [];
    for (const t of test) {
      const entry = fittedFor(this.models, this.name, t.outfall);
      const { series, offset } = this.warmup.extend(t);
      const windows = this.windows(series, entry);
      const errors = this.errors(entry, windows);
      const ratio: number[] = new Array<number>(series.ts.length).fill(0);
      windows.ends.forEach((end, k) => {
        if (end >= offset) ratio[end] = errors[k]! / entry.threshold;
      });
      const runs = findRuns(ratio, { maxGap: this.options.maxGap, minSamples: this.options.minSamples }, offset);
      alerts.push(
        ...runsToAlerts(series, 'anomaly', runs, (run) => {
          // The readings farthest from the fitted centre, in robust standard deviations.
          const readings = [];
          for (let i = run.first; i <= run.last; i += 1) {
            for (let c = 0; c < entry.channels.length; c += 1) {
              const value = series.channels[entry.channels[c]!]?.[i] ?? Number.NaN;
              const dev = Math.abs(value - entry.center[c]!) / entry.scale[c]!;
              if (Number.isFinite(dev)) readings.push({ ts: series.ts[i]!, channel: entry.channels[c]!, value, expected: entry.center[c]!, dev });
            }
          }
          readings.sort((a, b) => b.dev - a.dev);
          return {
            detector: this.name,
            threshold: entry.threshold,
            readings: readings.slice(0, MAX_EVIDENCE_READINGS).map(({ dev: _dev, ...r }) => r),
            note: `reconstruction error of the last ${this.options.window} samples' rolling z-scores up to ${run.score.toFixed(2)}x the fitted threshold; expected is the fitted median`,
          };
        }),
      );
    }
    return alerts;
  }

  /** The fitted models, serialised in memory (tf.io.withSaveHandler). */
  async save(): Promise<SavedOutfallModel[]> {
    const out: SavedOutfallModel[] = [];
    for (const [outfall, e] of this.models) {
      let artifacts: tf.io.ModelArtifacts | undefined;
      await e.model.save(
        tf.io.withSaveHandler(async (a) => {
          artifacts = a;
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        }),
      );
      out.push({ outfall, channels: e.channels, center: e.center, scale: e.scale, threshold: e.threshold, artifacts: artifacts! });
    }
    return out;
  }

  /**
   * Loads models saved by `save` (tf.io.fromMemory), in place of fitting. `warmup`,
   * when given, is the history that precedes what `detect` will see.
   */
  async load(saved: readonly SavedOutfallModel[], warmup: readonly OutfallSeries[] = []): Promise<void> {
    for (const s of saved) {
      const model = await tf.loadLayersModel(tf.io.fromMemory(s.artifacts));
      this.models.set(s.outfall, { channels: s.channels, center: s.center, scale: s.scale, threshold: s.threshold, model });
    }
    this.warmup.remember(warmup);
  }

  /** Frees the models' tensors. */
  dispose(): void {
    for (const e of this.models.values()) e.model.dispose();
    this.models.clear();
  }

  private build(width: number): tf.LayersModel {
    const { code, seed, learningRate } = this.options;
    const init = (k: number) => tf.initializers.glorotUniform({ seed: seed + k });
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [width], units: code * 4, activation: 'relu', kernelInitializer: init(0) }),
        tf.layers.dense({ units: code, activation: 'linear', kernelInitializer: init(1) }),
        tf.layers.dense({ units: code * 4, activation: 'relu', kernelInitializer: init(2) }),
        tf.layers.dense({ units: width, activation: 'linear', kernelInitializer: init(3) }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(learningRate), loss: 'meanSquaredError' });
    return model;
  }

  /** Scaled windows (missing values at the centre), one per sample that ends a full window. */
  private windows(s: OutfallSeries, e: Pick<OutfallModel, 'channels' | 'center' | 'scale'>): { data: Float32Array; rows: number; width: number; ends: number[] } {
    const w = this.options.window;
    const nc = e.channels.length;
    const n = s.ts.length;
    const scaled = new Float32Array(n * nc);
    for (let c = 0; c < nc; c += 1) {
      const values = s.channels[e.channels[c]!];
      if (!values) continue;
      // The MAD floor: 5% of the channel's robust SD on the fitting part.
      const { z } = rollingZ(values, { window: this.options.baselineWindow, madFloor: (0.05 * e.scale[c]!) / MAD_TO_SIGMA, holdAt: this.options.holdAt });
      for (let i = 0; i < n; i += 1) {
        const v = z[i]!;
        scaled[i * nc + c] = Number.isFinite(v) ? Math.max(-this.options.clip, Math.min(this.options.clip, v)) : 0;
      }
    }
    const rows = Math.max(0, n - w + 1);
    const width = w * nc;
    const data = new Float32Array(rows * width);
    const ends: number[] = [];
    for (let r = 0; r < rows; r += 1) {
      data.set(scaled.subarray(r * nc, (r + w) * nc), r * width);
      ends.push(r + w - 1);
    }
    return { data, rows, width, ends };
  }

  private errors(e: OutfallModel, windows: { data: Float32Array; rows: number; width: number }): number[] {
    if (windows.rows === 0) return [];
    return tf.tidy(() => {
      const x = tf.tensor2d(windows.data, [windows.rows, windows.width]);
      const y = e.model.predict(x) as tf.Tensor;
      return Array.from(tf.mean(tf.square(tf.sub(y, x)), 1).dataSync());
    });
  }
}
