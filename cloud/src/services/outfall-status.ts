import type { PollutantCode } from '@qingliu/protocol';
import { isPollutantCode } from '@qingliu/protocol';
import type { AgentStatusSource } from '../ports/agent-status.js';
import type { ReadingStore, ReadingWindow } from '../ports/reading-store.js';
import type { DeviceRegistry } from '../registry/device-registry.js';
import { breachOf, limitsAt } from '../registry/permit-limits.js';
import type { PermitLimit } from '../registry/permit-limits.js';

export interface OutfallStatusServiceParameters {
  store: ReadingStore;
  registry: DeviceRegistry;
  limits: readonly PermitLimit[];
  /** The edge agents' status reports; without it, a device is online while its readings arrive. */
  agentStatus?: AgentStatusSource | undefined;
  /** A device with no reading this long is offline; the alarm check averages over it too. Milliseconds, default 60,000. */
  statusWindowMs?: number;
  now?: () => number;
}

export type OutfallState = 'online' | 'offline' | 'alarm';

export interface DeviceState {
  device: string;
  state: 'online' | 'offline';
  /** The newest reading window's start, ms since the epoch (within the status window). */
  lastReadingAt: number | null;
  readings: number;
  /** Why it is offline. */
  error?: string;
  /**
   * Its agent reports it offline while its readings keep arriving: the readings are the fact (the
   * state follows them), and a status that contradicts them is shown to the bureau as suspicious.
   */
  statusConflict?: string;
}

export interface OutfallStatus {
  enterprise: string;
  outfall: string;
  /** alarm: online, and a pollutant's mean over the status window breaks its permitted limit. */
  state: OutfallState;
  /** What the alarm is about, or why the outfall is offline. */
  reasons: string[];
  /** Devices whose reported status contradicts their arriving readings (a way to hide an exceedance). */
  suspicious: string[];
  devices: DeviceState[];
  /** Mean per pollutant over the status window. */
  means: Partial<Record<PollutantCode, number>>;
  limits: PermitLimit[];
}

export interface OutfallStatusService {
  /** The status window, milliseconds. */
  readonly windowMs: number;
  /** Each outfall's state, of one enterprise or of all, sorted by enterprise and outfall. */
  statuses(enterprise?: string): Promise<OutfallStatus[]>;
}

/**
 * How each outfall is doing: online, offline or in alarm, from the recent readings (the fact),
 * the agents' status reports (a report of offline while readings arrive is flagged suspicious,
 * never believed) and the permitted limits (a mean over the window breaking one is an alarm).
 */
export function createOutfallStatusService(params: OutfallStatusServiceParameters): OutfallStatusService {
  const { store, registry, limits } = params;
  const windowMs = params.statusWindowMs ?? 60_000;
  const now = params.now ?? Date.now;
  return {
    windowMs,
    async statuses(enterprise) {
      const devices = registry.list().filter((d) => enterprise === undefined || d.enterprise === enterprise);
      const to = now();
      const windows = await store.queryWindows({
        ...(enterprise === undefined ? {} : { enterprise: enterprise }),
        fromMs: to - windowMs,
        toMs: to + 1000,
        everyMs: Math.max(1000, Math.floor(windowMs / 12)),
        limit: 100_000,
      });
      const byDevice = groupBy(windows, (w) => w.device);
      const outfalls = groupBy(devices, (d) => `${d.enterprise}\u0000${d.outfall}`);
      const out: OutfallStatus[] = [];
      for (const group of outfalls.values()) {
        const { enterprise, outfall } = group[0]!;
        const deviceStates = group.map((d): DeviceState => {
          const own = byDevice.get(d.device) ?? [];
          const readings = own.reduce((sum, w) => sum + w.count, 0);
          const lastReadingAt = own.length > 0 ? Math.max(...own.map((w) => w.ts)) : null;
          const reported = params.agentStatus?.deviceStatus(d.device);
          const reportedOffline = reported !== undefined && !reported.online;
          if (readings > 0) {
            // Readings that arrive are the fact; an "offline" report beside them is itself suspicious.
            const statusConflict = reportedOffline
              ? `reported offline by its edge agent (${reported.error ?? 'no reason given'}) while ${readings} readings arrived in the last ${windowMs / 1000} s`
              : undefined;
            return { device: d.device, state: 'online', lastReadingAt, readings, ...(statusConflict ? { statusConflict } : {}) };
          }
          const error = reportedOffline ? reported.error ?? 'reported offline' : `no reading in the last ${windowMs / 1000} s`;
          return { device: d.device, state: 'offline', lastReadingAt, readings, error };
        });
        const means = meansOf(group.flatMap((d) => byDevice.get(d.device) ?? []));
        const atOutfall = limitsAt(limits, outfall);
        const breaches = [...atOutfall.values()].flatMap((limit) => {
          const mean = means[limit.pollutant];
          const breach = mean === undefined ? undefined : breachOf(limit, mean);
          return breach ? [breach] : [];
        });
        const online = deviceStates.some((d) => d.state === 'online');
        out.push({
          enterprise,
          outfall,
          state: !online ? 'offline' : breaches.length > 0 ? 'alarm' : 'online',
          reasons: !online ? deviceStates.map((d) => `${d.device}: ${d.error ?? 'offline'}`) : breaches,
          suspicious: deviceStates.flatMap((d) => (d.statusConflict ? [`${d.device}: ${d.statusConflict}`] : [])),
          devices: deviceStates,
          means,
          limits: [...atOutfall.values()],
        });
      }
      out.sort((a, b) => a.enterprise.localeCompare(b.enterprise) || a.outfall.localeCompare(b.outfall));
      return out;
    },
  };
}

/** Count-weighted mean of each pollutant over windows (each device's primary instance of the six codes; a second analyzer is not averaged in). */
function meansOf(windows: readonly ReadingWindow[]): Partial<Record<PollutantCode, number>> {
  const sums = new Map<PollutantCode, { sum: number; count: number }>();
  for (const w of windows) {
    if (w.channel !== undefined || !isPollutantCode(w.pollutant)) continue;
    const s = sums.get(w.pollutant) ?? { sum: 0, count: 0 };
    s.sum += w.mean * w.count;
    s.count += w.count;
    sums.set(w.pollutant, s);
  }
  return Object.fromEntries([...sums].map(([p, s]) => [p, s.sum / s.count]));
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
