/** Runs several detectors behind the one port; alerts are concatenated, ordered by outfall and start. */
import type { Alert, Detector, OutfallSeries } from './detector.js';
import { DetectionError } from './detector.js';
import { ChangePointDetector } from './change-point-detector.js';
import { FlatlineDetector } from './flatline-detector.js';
import { PhRangeDetector } from './ph-range-detector.js';
import { ReplayDetector } from './replay-detector.js';
import { ResidualDetector } from './residual-detector.js';
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
    return absorbTamperReturns(alerts.sort((a, b) => (a.outfall < b.outfall ? -1 : a.outfall > b.outfall ? 1 : a.start - b.start)));
  }
}

/** How long after frozen or replayed values end the real ones may still jump back. */
export const TAMPER_RETURN_MS = 60 * 60_000;

/**
 * When frozen or replayed values stop, the real ones come back at wherever the
 * plant drifted to meanwhile, and the residual rules see a jump. That jump is
 * the end of the same incident, not a new one: a residual alert starting
 * within `TAMPER_RETURN_MS` after a flatline or replay alert ends is folded
 * into it (its end and its evidence note).
 */
export function absorbTamperReturns(sorted: readonly Alert[]): Alert[] {
  const out: Alert[] = [];
  const open = new Map<string, number>(); // outfall -> index in out of its latest tamper alert
  for (const a of sorted) {
    const at = open.get(a.outfall);
    const tamper = at === undefined ? undefined : out[at]!;
    const isTamper = a.kind === 'flatline' || a.kind === 'replay';
    if (tamper && !isTamper && a.evidence.detector === 'residual' && a.start >= tamper.start && a.start <= tamper.end + TAMPER_RETURN_MS) {
      out[at!] = {
        ...tamper,
        end: Math.max(tamper.end, a.end),
        evidence: { ...tamper.evidence, note: `${tamper.evidence.note}; when it stopped the readings jumped back (${a.evidence.note})` },
      };
      continue;
    }
    out.push(a);
    if (isTamper) open.set(a.outfall, out.length - 1);
  }
  return out;
}

export const DETECTOR_NAMES = ['residual', 'flatline', 'replay', 'ph-range', 'change-point', 'autoencoder', 'rolling-zscore', 'global-zscore'] as const;
export type DetectorName = (typeof DETECTOR_NAMES)[number];
/** The rules on robust statistics. `autoencoder` adds the learned model; the z-scores are the baselines to beat. */
export const DEFAULT_DETECTORS: readonly DetectorName[] = ['residual', 'flatline', 'replay', 'ph-range'];

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
        case 'residual':
          return new ResidualDetector(z);
        case 'replay':
          return new ReplayDetector();
        case 'change-point':
          return new ChangePointDetector();
        case 'autoencoder':
          return new autoencoder!(z);
        default:
          throw new DetectionError('BAD_OPTION', `unknown detector "${n}"; known: ${DETECTOR_NAMES.join(', ')}`);
      }
    }),
  );
}
