import { FLOW_CODE, isLoadPollutant } from '@qingliu/protocol';
import type { PollutantCode, Reading } from '@qingliu/protocol';
import { concentrationInMgPerL, flowInM3PerHour } from './units.js';

/**
 * Load accounting (documented in cloud/README.md):
 *
 *   load (kg) = concentration (mg/L) x volume (m3) x 1e-3
 *   volume (m3) = flow (m3/h) x sample interval (h)
 *
 * computed here in milligrams (load (mg) = mg/L x m3 x 1e3), the ledger's unit.
 *
 * Units are converted explicitly first (units.ts: flow to m3/h, e.g. L/s x 3.6;
 * concentration to mg/L).
 *
 * Only a device's primary instance of a code counts (a reading without
 * `channel`): a second COD analyzer or flow meter on the same device is
 * stored and shown but never charged, and codes outside the six (a flow
 * totalizer, w00001) are not accounted at all.
 *
 * A device samples flow and concentrations together; each sample stands for
 * the device's enrolled sampling interval. A concentration counts only when
 * it and the flow of the same device and time are both flagged N (normal)
 * and both units are known; anything else is counted in `flaggedSamples`,
 * by reason in `leftOut`, never taken as zero load silently. Given the
 * window the readings cover, samples a device should have sent and did not
 * are counted in `missingSamples` (a gap is never read as zero discharge).
 * Loads are summed in milligrams per enterprise and pollutant and rounded to
 * whole milligrams once, at the end.
 */
export interface LoadKey {
  enterprise: string;
  pollutant: PollutantCode;
}

export interface LoadLine extends LoadKey {
  milligrams: bigint;
  /** Concentration samples that entered the sum. */
  samples: number;
  /** Concentration samples left out (the sum of `leftOut`). */
  flaggedSamples: number;
  /** Why samples were left out: `flag:<F>` (not N), `no-flow`, `flow-flag:<F>`, `unit:<u>`. */
  leftOut: Record<string, number>;
  /** Given a window: samples the enterprise's devices should have sent for this pollutant and did not. */
  missingSamples?: number;
}

export interface ComputeLoadsParameters {
  readings: readonly Reading[];
  /** Sampling interval of each device, milliseconds. */
  sampleIntervalMs: (device: string) => number;
  /** The time the readings cover (ms, from inclusive, to exclusive), to count missing samples. */
  window?: { fromMs: number; toMs: number };
}

export function computeLoads({ readings, sampleIntervalMs, window }: ComputeLoadsParameters): LoadLine[] {
  const flows = new Map<string, Reading>();
  for (const r of readings) {
    if (r.pollutant === FLOW_CODE && r.channel === undefined) flows.set(`${r.device}\u0000${r.ts}`, r);
  }
  interface Sum {
    key: LoadKey;
    milligrams: number;
    samples: number;
    leftOut: Record<string, number>;
    /** device -> concentration samples seen */
    seen: Map<string, number>;
  }
  const lines = new Map<string, Sum>();
  for (const r of readings) {
    // The primary instance only: a second analyzer of a charged code (a reading with a channel) is not charged again.
    if (r.channel !== undefined || !isLoadPollutant(r.pollutant)) continue;
    const id = `${r.enterprise}\u0000${r.pollutant}`;
    let line = lines.get(id);
    if (!line) {
      line = { key: { enterprise: r.enterprise, pollutant: r.pollutant }, milligrams: 0, samples: 0, leftOut: {}, seen: new Map() };
      lines.set(id, line);
    }
    line.seen.set(r.device, (line.seen.get(r.device) ?? 0) + 1);
    const reason = leftOutReason(r, flows.get(`${r.device}\u0000${r.ts}`));
    if (typeof reason === 'string') {
      line.leftOut[reason] = (line.leftOut[reason] ?? 0) + 1;
      continue;
    }
    const volumeM3 = (reason.flowM3PerH * sampleIntervalMs(r.device)) / 3_600_000;
    // mg/L x m3 = g (1 m3 = 1000 L); x 1000 for mg.
    line.milligrams += reason.mgPerL * volumeM3 * 1000;
    line.samples += 1;
  }
  return [...lines.values()]
    .map(({ key, milligrams, samples, leftOut, seen }) => {
      const out: LoadLine = {
        ...key,
        milligrams: BigInt(Math.round(milligrams)),
        samples,
        flaggedSamples: Object.values(leftOut).reduce((a, b) => a + b, 0),
        leftOut,
      };
      if (window) {
        let missing = 0;
        for (const [device, count] of seen) {
          const expected = Math.floor((window.toMs - window.fromMs) / sampleIntervalMs(device));
          missing += Math.max(0, expected - count);
        }
        out.missingSamples = missing;
      }
      return out;
    })
    .sort((a, b) => (a.enterprise + a.pollutant < b.enterprise + b.pollutant ? -1 : 1));
}

/** Why a concentration sample is left out, or its value and its flow's, converted. */
function leftOutReason(r: Reading, flow: Reading | undefined): string | { mgPerL: number; flowM3PerH: number } {
  if (r.flag !== 'N') return `flag:${r.flag}`;
  if (!flow) return 'no-flow';
  if (flow.flag !== 'N') return `flow-flag:${flow.flag}`;
  const mgPerL = concentrationInMgPerL(r.value, r.unit);
  if (mgPerL === undefined) return `unit:${r.unit}`;
  const flowM3PerH = flowInM3PerHour(flow.value, flow.unit);
  if (flowM3PerH === undefined) return `unit:${flow.unit}`;
  return { mgPerL, flowM3PerH };
}
