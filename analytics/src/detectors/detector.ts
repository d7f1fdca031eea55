/**
 * The detector port: fit on a leading part of each outfall's history, then
 * detect on what follows. Every detector (robust statistics, rules, a
 * TensorFlow.js model, an ensemble) implements it, so the CLI, the scorer and
 * later the pipeline never depend on one implementation.
 */
import { QingliuError } from '@qingliu/protocol';
import type { QingliuErrorCode } from '@qingliu/protocol';

/** One outfall's readings in time order. Channels hold NaN where a value is missing. */
export interface OutfallSeries {
  readonly outfall: string;
  /** Sample times, ms since the epoch, ascending. */
  readonly ts: readonly number[];
  /** Channel name (`flow`, `cod`, `nh3n`, `ph`, `tp`, `tn`, or any other) -> values, same length as `ts`. */
  readonly channels: Readonly<Record<string, readonly number[]>>;
}

/**
 * What an alert says happened. `anomaly`: far from normal with no rule to name
 * the pattern (a learned model's reconstruction error, a drop, a pH swing).
 */
export type AlertKind = 'spike' | 'bypass-dump' | 'dilution' | 'night-flow' | 'flow-surge' | 'level-shift' | 'flatline' | 'replay' | 'ph-out-of-range' | 'anomaly';

/** One reading an alert points at, with what the detector expected there. */
export interface EvidenceReading {
  readonly ts: number;
  readonly channel: string;
  readonly value: number;
  /** The detector's expected value (a rolling median, the frozen value, a limit). */
  readonly expected: number;
}

export interface AlertEvidence {
  /** Which detector raised it. */
  readonly detector: string;
  /** The statistic's threshold, chosen on the fitting part (or a legal limit). */
  readonly threshold: number;
  /** The strongest readings of the alert, at most `MAX_EVIDENCE_READINGS`. */
  readonly readings: readonly EvidenceReading[];
  /** A sentence an inspector can read. */
  readonly note: string;
}

export interface Alert {
  readonly outfall: string;
  readonly kind: AlertKind;
  /** First flagged sample time (ms): when the detector could have fired, online. */
  readonly start: number;
  /** Last flagged sample time (ms), inclusive. */
  readonly end: number;
  /** Peak statistic over its threshold: >= 1 for every alert; larger is stronger. */
  readonly score: number;
  readonly evidence: AlertEvidence;
}

export interface Detector {
  readonly name: string;
  /** Learns baselines and thresholds from the fitting part. Call once, before `detect`. */
  fit(train: readonly OutfallSeries[]): Promise<void>;
  /**
   * Alerts on `test`, which continues the fitted series in time. Detectors that
   * need a trailing window use the end of the fitted part as warm-up, so the
   * first test samples are judged like the others.
   */
  detect(test: readonly OutfallSeries[]): Promise<Alert[]>;
}

export const MAX_EVIDENCE_READINGS = 20;

/** Channel roles the rule detectors look for (the CSV column names). */
export const CHANNELS = {
  flow: 'flow',
  ph: 'ph',
  concentrations: ['cod', 'nh3n', 'tp', 'tn'],
} as const;

export type DetectionErrorCode = Extract<QingliuErrorCode, 'BAD_CSV' | 'BAD_LABELS' | 'BAD_EVENTS' | 'NOT_FITTED' | 'BAD_OPTION'>;

/** The model a detector fitted for an outfall; NOT_FITTED when its fitting part had none of that outfall. */
export function fittedFor<M>(models: ReadonlyMap<string, M>, detector: string, outfall: string): M {
  const model = models.get(outfall);
  if (model === undefined) throw new DetectionError('NOT_FITTED', `${detector}: outfall ${outfall} was not in the fitting part`);
  return model;
}

/**
 * The project's one error type (QingliuError), narrowed to analytics' codes. Nothing here is
 * retryable: the input is wrong. An HTTP route answers it as a 400 through the cloud's one handler.
 */
export class DetectionError extends QingliuError {
  declare readonly code: DetectionErrorCode;
  constructor(code: DetectionErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options?.cause === undefined ? {} : { cause: options.cause });
  }
}
