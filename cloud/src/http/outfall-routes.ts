import type { FastifyInstance } from 'fastify';
import { isPollutantCode } from '@qingliu/protocol';
import type { PollutantCode } from '@qingliu/protocol';
import type { AgentStatusSource } from '../ingest/agent-status-watcher.js';
import type { ReadingStore, ReadingWindow } from '../ports/reading-store.js';
import type { DeviceRegistry } from '../registry/device-registry.js';
import { breachOf, limitsAt } from '../registry/permit-limits.js';
import type { PermitLimit } from '../registry/permit-limits.js';
import { requireRole, scopeToCaller } from './roles.js';

export interface OutfallRoutesParameters {
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

const id = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } as const;

/** GET /api/v1/limits: `outfall` narrows the limits to those in force there. */
export const limitsQuerySchema = { type: 'object', additionalProperties: false, properties: { outfall: id } } as const;
/** GET /api/v1/outfalls: `enterprise` narrows the outfalls to one enterprise's (an enterprise: its own only). */
export const outfallsQuerySchema = { type: 'object', additionalProperties: false, properties: { enterprise: id } } as const;

/**
 * Who is who and how each outfall is doing:
 * - GET /api/v1/me (anyone): the caller's role and enterprise.
 * - GET /api/v1/enterprises (anyone): the bureau sees every enterprise with its outfalls and
 *   devices, an enterprise its own, the public the enterprise ids only (to read the chain by).
 * - GET /api/v1/limits[?outfall=] (anyone): the permitted limits (a permit is a public document).
 * - GET /api/v1/outfalls[?enterprise=] (bureau, enterprise: its own): each outfall's state
 *   (online, offline, alarm) from the agents' status reports, the recent readings and the limits.
 */
export async function outfallRoutes(app: FastifyInstance, params: OutfallRoutesParameters): Promise<void> {
  const { store, registry, limits } = params;
  const windowMs = params.statusWindowMs ?? 60_000;
  const now = params.now ?? Date.now;

  app.get('/api/v1/me', requireRole('bureau', 'enterprise', 'public'), async (request) => ({
    role: request.caller.role,
    ...(request.caller.enterprise ? { enterprise: request.caller.enterprise } : {}),
  }));

  app.get('/api/v1/enterprises', requireRole('bureau', 'enterprise', 'public'), async (request) => {
    const caller = request.caller;
    const all = registry.enterprises();
    if (caller.role === 'public') return { enterprises: all.map((enterprise) => ({ enterprise })) };
    const shown = caller.role === 'bureau' ? all : all.filter((e) => e === caller.enterprise);
    return {
      enterprises: shown.map((enterprise) => {
        const devices = registry.list().filter((d) => d.enterprise === enterprise);
        const outfalls = [...new Set(devices.map((d) => d.outfall))].sort();
        return {
          enterprise,
          outfalls: outfalls.map((outfall) => ({ outfall, devices: devices.filter((d) => d.outfall === outfall).map((d) => d.device).sort() })),
        };
      }),
    };
  });

  app.get<{ Querystring: { outfall?: string } }>(
    '/api/v1/limits',
    { ...requireRole('bureau', 'enterprise', 'public'), schema: { querystring: limitsQuerySchema } },
    async (request) => ({ limits: request.query.outfall ? [...limitsAt(limits, request.query.outfall).values()] : limits }),
  );

  app.get<{ Querystring: { enterprise?: string } }>(
    '/api/v1/outfalls',
    { ...requireRole('bureau', 'enterprise'), schema: { querystring: outfallsQuerySchema } },
    async (request) => {
      const scope = scopeToCaller(request, { enterprise: request.query.enterprise });
      const devices = registry.list().filter((d) => scope.enterprise === undefined || d.enterprise === scope.enterprise);
      const to = now();
      const windows = await store.queryWindows({
        ...(scope.enterprise === undefined ? {} : { enterprise: scope.enterprise }),
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
      return { windowMs, outfalls: out };
    },
  );
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
