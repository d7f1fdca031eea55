import { FLOW_CODE, LOAD_POLLUTANTS } from '@qingliu/protocol';
import type { PollutantCode, Reading } from '@qingliu/protocol';

/**
 * Load accounting (documented in cloud/README.md):
 *
 *   load (kg) = concentration (mg/L) x volume (m3) x 1e-3
 *   volume (m3) = flow (m3/h) x sample interval (h)
 *
 * computed here in milligrams (load (mg) = mg/L x m3 x 1e3), the ledger's unit.
 *
 * A device samples flow and concentrations together; each sample stands for
 * the device's enrolled sampling interval. A concentration counts only when
 * it and the flow of the same device and time are both flagged N (normal);
 * anything else is counted in `flaggedSamples`, never taken as zero load
 * silently. Loads are summed in milligrams per enterprise and pollutant and
 * rounded to whole milligrams once, at the end.
 */
export interface LoadKey {
  enterprise: string;
  pollutant: PollutantCode;
}

export interface LoadLine extends LoadKey {
  milligrams: bigint;
  /** Concentration samples that entered the sum. */
  samples: number;
  /** Concentration samples left out: bad flag, or no normal flow beside them. */
  flaggedSamples: number;
}

export interface ComputeLoadsParameters {
  readings: readonly Reading[];
  /** Sampling interval of each device, milliseconds. */
  sampleIntervalMs: (device: string) => number;
}

export function computeLoads({ readings, sampleIntervalMs }: ComputeLoadsParameters): LoadLine[] {
  const flows = new Map<string, Reading>();
  for (const r of readings) {
    if (r.pollutant === FLOW_CODE) flows.set(`${r.device}\u0000${r.ts}`, r);
  }
  const lines = new Map<string, { key: LoadKey; milligrams: number; samples: number; flagged: number }>();
  for (const r of readings) {
    if (!LOAD_POLLUTANTS.includes(r.pollutant)) continue;
    const id = `${r.enterprise}\u0000${r.pollutant}`;
    let line = lines.get(id);
    if (!line) {
      line = { key: { enterprise: r.enterprise, pollutant: r.pollutant }, milligrams: 0, samples: 0, flagged: 0 };
      lines.set(id, line);
    }
    const flow = flows.get(`${r.device}\u0000${r.ts}`);
    if (r.flag !== 'N' || !flow || flow.flag !== 'N') {
      line.flagged += 1;
      continue;
    }
    const volumeM3 = (flow.value * sampleIntervalMs(r.device)) / 3_600_000;
    // mg/L x m3 = g (1 m3 = 1000 L); x 1000 for mg.
    line.milligrams += r.value * volumeM3 * 1000;
    line.samples += 1;
  }
  return [...lines.values()]
    .map(({ key, milligrams, samples, flagged }) => ({
      ...key,
      milligrams: BigInt(Math.round(milligrams)),
      samples,
      flaggedSamples: flagged,
    }))
    .sort((a, b) => (a.enterprise + a.pollutant < b.enterprise + b.pollutant ? -1 : 1));
}
