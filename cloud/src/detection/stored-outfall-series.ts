/**
 * An outfall's series read from the reading store, as analytics takes them:
 * every detected channel on one time grid for the detectors, and flow with one
 * pollutant's concentration on a river station's time grid for the
 * traceability ranking.
 */
import type { OutfallSeries, TraceOutfall } from '@qingliu/analytics';
import { FLOW_CODE, isPollutantCode } from '@qingliu/protocol';
import type { PollutantCode } from '@qingliu/protocol';
import type { ReadingMean, ReadingStore } from '../ports/reading-store.js';

/** The detection CSV's channel names for the pollutant codes the cloud stores. */
export const CHANNEL_OF: Readonly<Record<PollutantCode, string>> = {
  w00000: 'flow',
  w01018: 'cod',
  w21003: 'nh3n',
  w01001: 'ph',
  w21011: 'tp',
  w21001: 'tn',
};

/** The series the detectors see: the six codes' primary instances (other codes and second analyzers are stored and shown, not theirs). */
const isDetected = (m: ReadingMean): m is ReadingMean & { pollutant: PollutantCode } => m.channel === undefined && isPollutantCode(m.pollutant);

export interface StoredDetectionSeriesParameters {
  store: Pick<ReadingStore, 'queryMeans'>;
  outfall: string;
  /** The range to read, ms since the epoch. */
  fromMs: number;
  toMs: number;
  /** Window of the store's means that makes one sample, ms. */
  everyMs: number;
}

/**
 * The outfall's means per `everyMs` window as the detectors' series: one time
 * grid (every window any detected code has), a channel per code (`CHANNEL_OF`),
 * NaN where that code has no mean; the first mean of a window counts.
 */
export async function readStoredDetectionSeries(params: StoredDetectionSeriesParameters): Promise<OutfallSeries> {
  const { outfall, fromMs, toMs, everyMs } = params;
  const means = (await params.store.queryMeans({ outfall, fromMs, toMs, everyMs, limit: 1_000_000 })).filter(isDetected);
  const index = new Map<number, number>();
  const ts: number[] = [];
  for (const m of means) if (!index.has(m.ts)) index.set(m.ts, 0);
  [...index.keys()].sort((a, b) => a - b).forEach((t, i) => {
    index.set(t, i);
    ts.push(t);
  });
  const channels: Record<string, number[]> = {};
  for (const m of means) {
    const name = CHANNEL_OF[m.pollutant];
    const values = (channels[name] ??= ts.map(() => Number.NaN));
    const i = index.get(m.ts)!;
    if (Number.isNaN(values[i]!)) values[i] = m.mean;
  }
  return { outfall, ts, channels };
}

export interface StoredOutfallSeriesParameters {
  store: Pick<ReadingStore, 'queryMeans'>;
  outfall: string;
  distanceKm?: number | undefined;
  /** The station's pollutant: the concentration read. */
  pollutant: PollutantCode;
  /** The station's sample times (ms, ascending): their phase and step set the grid. */
  stationTs: readonly number[];
  /** The range to read, ms since the epoch. */
  fromMs: number;
  toMs: number;
}

/** Median gap between consecutive times, ms (60,000 for fewer than two). */
export function samplingStep(ts: readonly number[]): number {
  const gaps = ts.slice(1).map((t, i) => t - ts[i]!).sort((a, b) => a - b);
  if (gaps.length === 0) return 60_000;
  const mid = gaps.length >> 1;
  return gaps.length % 2 ? gaps[mid]! : (gaps[mid - 1]! + gaps[mid]!) / 2;
}

/**
 * Reads the outfall's flow (w00000) and the pollutant as means per station
 * step centred on the station's sample times: the store's windows are aligned
 * to the epoch, not to the station, so they are read at a fifth of the step
 * and each goes to the station time nearest its centre. A reading every step
 * at the station's times then comes back as itself; denser readings as their
 * mean around each station time. NaN where the store has nothing; several
 * devices measuring the same thing at the outfall are averaged.
 */
export async function readStoredOutfallSeries(params: StoredOutfallSeriesParameters): Promise<TraceOutfall> {
  const step = samplingStep(params.stationTs);
  const phase = (((params.stationTs[0] ?? 0) % step) + step) % step;
  const first = Math.ceil((params.fromMs - phase) / step) * step + phase;
  const ts: number[] = [];
  for (let t = first; t <= params.toMs; t += step) ts.push(t);
  const fine = Math.max(1000, Math.floor(step / 5000) * 1000);
  const read = async (pollutant: PollutantCode): Promise<number[]> => {
    const sums = ts.map(() => 0);
    const counts = ts.map(() => 0);
    if (ts.length === 0) return sums;
    const windows = await params.store.queryMeans({
      outfall: params.outfall,
      pollutant,
      fromMs: first - step / 2,
      toMs: ts[ts.length - 1]! + step / 2,
      everyMs: fine,
      limit: Math.min(1_000_000, 8 * (Math.ceil((ts.length * step) / fine) + 2)),
    });
    for (const w of windows) {
      // The device's primary instance of the code: a second analyzer (a channel) is not averaged in.
      if (!Number.isFinite(w.mean) || w.channel !== undefined) continue;
      const k = Math.round((w.ts + fine / 2 - first) / step);
      if (k < 0 || k >= ts.length) continue;
      sums[k]! += w.mean;
      counts[k]! += 1;
    }
    return sums.map((s, k) => (counts[k]! > 0 ? s / counts[k]! : Number.NaN));
  };
  const [flow, concentration] = await Promise.all([read(FLOW_CODE), read(params.pollutant)]);
  return { id: params.outfall, ts, flow, concentration, ...(params.distanceKm === undefined ? {} : { distanceKm: params.distanceKm }) };
}
