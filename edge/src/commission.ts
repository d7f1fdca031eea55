import { HJ212_WATER_CODES } from '@qingliu/protocol';
import type { EdgeConfig } from './config.js';
import type { PointFailure } from './modbus-failures.js';
import { createDevicePoller, deviceAddress } from './modbus-poller.js';

/** One decoded value of a commissioning poll. */
export interface CommissionValue {
  name: string;
  /** Set on a second instance of a code. */
  channel?: string;
  value: number;
  unit: string;
  flag: string;
}

/** One device's answer to a commissioning poll. */
export type CommissionResult =
  | {
      device: string;
      outfall: string;
      address: string;
      ok: true;
      ts: number;
      /** Code (`<code>/<channel>` for a second instance) -> decoded value, its unit and flag. */
      values: Record<string, CommissionValue>;
      /** Points the device answered with a Modbus exception: function code, address, exception. */
      failedPoints?: PointFailure[];
    }
  | { device: string; outfall: string; address: string; ok: false; error: string };

const keyOf = (s: { pollutant: string; channel?: string | undefined }): string => (s.channel === undefined ? s.pollutant : `${s.pollutant}/${s.channel}`);

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
            .map((p) => samples.find((s) => keyOf(s) === keyOf(p)))
            .filter((s) => s !== undefined)
            .map((s) => [
              keyOf(s),
              { name: HJ212_WATER_CODES[s.pollutant].name, ...(s.channel === undefined ? {} : { channel: s.channel }), value: s.value, unit: s.unit, flag: s.flag },
            ]),
        );
        const failedPoints = poller.status()?.failedPoints;
        return { ...base, ok: true, ts: samples[0]?.ts ?? Date.now(), values, ...(failedPoints ? { failedPoints } : {}) };
      } catch (error) {
        return { ...base, ok: false, error: error instanceof Error ? error.message : String(error) };
      } finally {
        await poller.close();
      }
    }),
  );
}

/**
 * A result as one line for people: `dev-1  out-1  COD 48.73 mg/L  pH 7.39 pH ...`, then each
 * refused point: `NOT READ FC 4 address 6 (w01018): Modbus exception 2, illegal data address (非法数据地址)`.
 */
export function formatCommissionResult(result: CommissionResult): string {
  const head = `${result.device}  ${result.outfall}  ${result.address}`;
  if (!result.ok) return `${head}  FAILED: ${result.error}`;
  const values = Object.values(result.values).map(
    (v) => `${v.name}${v.channel === undefined ? '' : `[${v.channel}]`} ${v.value} ${v.unit}${v.flag === 'N' ? '' : ` [${v.flag}]`}`,
  );
  const refused = (result.failedPoints ?? []).map((f) => `NOT READ ${f.error}`);
  return `${head}  ${[...values, ...refused].join('  ')}`;
}
