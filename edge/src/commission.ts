import { POLLUTANTS } from '@qingliu/protocol';
import type { EdgeConfig } from './config.js';
import { createDevicePoller, deviceAddress } from './modbus-poller.js';

/** One device's answer to a commissioning poll. */
export type CommissionResult =
  | {
      device: string;
      outfall: string;
      address: string;
      ok: true;
      ts: number;
      /** Pollutant code -> decoded value, its unit and flag. */
      values: Record<string, { name: string; value: number; unit: string; flag: string }>;
    }
  | { device: string; outfall: string; address: string; ok: false; error: string };

/**
 * Polls every configured device once, all at the same time, so an operator
 * can hold the decoded values against each analyzer's own display. Nothing
 * is numbered, stored or sent.
 */
export async function pollEveryDeviceOnce(config: EdgeConfig): Promise<CommissionResult[]> {
  return Promise.all(
    config.devices.map(async (device): Promise<CommissionResult> => {
      const poller = createDevicePoller({ device, onSamples: () => undefined });
      const base = { device: device.id, outfall: device.outfall, address: deviceAddress(device) };
      try {
        const samples = await poller.pollOnce();
        // In the config's order, as the operator wrote the points down.
        const values = Object.fromEntries(
          device.points
            .map((p) => samples.find((s) => s.pollutant === p.pollutant))
            .filter((s) => s !== undefined)
            .map((s) => [s.pollutant, { name: POLLUTANTS[s.pollutant].name, value: s.value, unit: s.unit, flag: s.flag }]),
        );
        return { ...base, ok: true, ts: samples[0]?.ts ?? Date.now(), values };
      } catch (error) {
        return { ...base, ok: false, error: error instanceof Error ? error.message : String(error) };
      } finally {
        await poller.close();
      }
    }),
  );
}

/** A result as one line for people: `dev-1  out-1  COD 48.73 mg/L  pH 7.39 pH ...`. */
export function formatCommissionResult(result: CommissionResult): string {
  const head = `${result.device}  ${result.outfall}  ${result.address}`;
  if (!result.ok) return `${head}  FAILED: ${result.error}`;
  const values = Object.values(result.values).map((v) => `${v.name} ${v.value} ${v.unit}${v.flag === 'N' ? '' : ` [${v.flag}]`}`);
  return `${head}  ${values.join('  ')}`;
}
