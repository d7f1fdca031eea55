import { QingliuError } from '@qingliu/protocol';
import { computeLoads } from '../accounting/load.js';
import type { LoadLine } from '../accounting/load.js';
import type { ReadingStore } from '../ports/reading-store.js';
import type { DeviceRegistry } from '../registry/device-registry.js';

/** Most readings one load query reads. */
export const MAX_LOAD_READINGS = 500_000;

export interface LoadWindowsParameters {
  enterprise?: string | undefined;
  outfall?: string | undefined;
  fromMs: number;
  toMs: number;
  /** Window length, milliseconds. */
  everyMs: number;
}

/** One window's load of one enterprise and pollutant. */
export type LoadWindow = { from: string; to: string; kg: number } & LoadLine;

export interface LoadService {
  /** The load per window, enterprise and pollutant over a range, by the accounting rule (accounting/load.ts). */
  loadWindows(params: LoadWindowsParameters): Promise<LoadWindow[]>;
}

/** Loads over windows of a range, from the stored readings and each device's sampling interval. */
export function createLoadService(params: { store: ReadingStore; registry: DeviceRegistry }): LoadService {
  const { store, registry } = params;
  return {
    async loadWindows({ enterprise, outfall, fromMs, toMs, everyMs }) {
      const readings = await store.queryReadings({ enterprise, outfall, fromMs, toMs, limit: MAX_LOAD_READINGS + 1 });
      if (readings.length > MAX_LOAD_READINGS) throw new QingliuError('INPUT_INVALID', `the range holds more than ${MAX_LOAD_READINGS} readings: narrow it`);
      const windows = new Map<number, typeof readings>();
      for (const r of readings) {
        const start = fromMs + Math.floor((r.ts - fromMs) / everyMs) * everyMs;
        const list = windows.get(start) ?? [];
        list.push(r);
        windows.set(start, list);
      }
      return [...windows]
        .sort(([a], [b]) => a - b)
        .flatMap(([start, list]) =>
          computeLoads({
            readings: list,
            sampleIntervalMs: (device) => registry.get(device)?.sampleIntervalMs ?? 0,
            window: { fromMs: start, toMs: start + everyMs },
          }).map((line) => ({ from: new Date(start).toISOString(), to: new Date(start + everyMs).toISOString(), ...line, kg: Number(line.milligrams) / 1e6 })),
        );
    },
  };
}
