/** Runs several detectors behind the one port; alerts are concatenated, ordered by outfall and start. */
import type { Alert, Detector, OutfallSeries } from './detector.js';
import { DetectionError } from './detector.js';
import { DilutionDetector } from './dilution-detector.js';
import { FlatlineDetector } from './flatline-detector.js';
import { PhRangeDetector } from './ph-range-detector.js';
import { ZScoreDetector } from './zscore-detector.js';

export class EnsembleDetector implements Detector {
  readonly name: string;
  constructor(private readonly members: readonly Detector[]) {
    if (members.length === 0) throw new DetectionError('BAD_OPTION', 'an ensemble needs at least one detector');
    this.name = members.map((m) => m.name).join('+');
  }

  async fit(train: readonly OutfallSeries[]): Promise<void> {
    for (const m of this.members) await m.fit(train);
  }

  async detect(test: readonly OutfallSeries[]): Promise<Alert[]> {
    const alerts: Alert[] = [];
    for (const m of this.members) alerts.push(...(await m.detect(test)));
    return alerts.sort((a, b) => (a.outfall < b.outfall ? -1 : a.outfall > b.outfall ? 1 : a.start - b.start));
  }
}

export const DETECTOR_NAMES = ['rolling-zscore', 'global-zscore', 'flatline', 'ph-range', 'dilution', 'autoencoder'] as const;
export type DetectorName = (typeof DETECTOR_NAMES)[number];
export const DEFAULT_DETECTORS: readonly DetectorName[] = ['rolling-zscore', 'flatline', 'ph-range', 'dilution'];

export interface CreateDetectorOptions {
  /** Flagged samples a z-score alert needs (default 1). */
  readonly minSamples?: number;
}

/**
 * The detectors named (from `DETECTOR_NAMES`), with default options, as one
 * ensemble. TensorFlow.js is loaded only when `autoencoder` is named.
 */
export async function createDetector(names: readonly string[] = DEFAULT_DETECTORS, options: CreateDetectorOptions = {}): Promise<EnsembleDetector> {
  const z = options.minSamples === undefined ? {} : { minSamples: options.minSamples };
  const autoencoder = names.includes('autoencoder') ? (await import('./autoencoder-detector.js')).AutoencoderDetector : undefined;
  return new EnsembleDetector(
    names.map((n): Detector => {
      switch (n) {
        case 'rolling-zscore':
          return new ZScoreDetector({ ...z, mode: 'rolling' });
        case 'global-zscore':
          return new ZScoreDetector({ ...z, mode: 'global' });
        case 'flatline':
          return new FlatlineDetector();
        case 'ph-range':
          return new PhRangeDetector();
        case 'dilution':
          return new DilutionDetector();
        case 'autoencoder':
          return new autoencoder!(z);
        default:
          throw new DetectionError('BAD_OPTION', `unknown detector "${n}"; known: ${DETECTOR_NAMES.join(', ')}`);
      }
    }),
  );
}
