import type { FastifyInstance } from 'fastify';
import type { DeviceRegistry } from '../registry/device-registry.js';
import { limitsAt } from '../registry/permit-limits.js';
import type { PermitLimit } from '../registry/permit-limits.js';
import type { OutfallStatusService } from '../services/outfall-status.js';
import { requireRole, scopeToCaller } from './roles.js';

export type { DeviceState, OutfallState, OutfallStatus } from '../services/outfall-status.js';

export interface OutfallRoutesParameters {
  registry: DeviceRegistry;
  limits: readonly PermitLimit[];
  /** Each outfall's state (services/outfall-status.ts). */
  status: OutfallStatusService;
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
  const { registry, limits, status } = params;

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
      return { windowMs: status.windowMs, outfalls: await status.statuses(scope.enterprise) };
    },
  );
}
