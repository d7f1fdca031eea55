import type { FastifyInstance } from 'fastify';
import type { AlertStore } from '../ports/alert-store.js';
import { parseTime } from './query-params.js';
import { requireRole, scopeToCaller } from './roles.js';

export interface AlertRoutesParameters {
  /** Without one, GET /api/v1/alerts answers 404 (this process runs no detection). */
  alerts?: AlertStore | undefined;
}

const DAY_MS = 86_400_000;

/** GET /api/v1/alerts: the range (default the last day), the outfall or enterprise, and how many. */
export const alertsQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    from: { type: 'string', description: 'ISO 8601 time, or milliseconds since the epoch' },
    to: { type: 'string', description: 'ISO 8601 time, or milliseconds since the epoch' },
    outfall: { type: 'string', maxLength: 64 },
    enterprise: { type: 'string', maxLength: 64 },
    limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 1000 },
  },
} as const;

/**
 * GET /api/v1/alerts?from=&to=&outfall=&enterprise=&limit= (bureau; an enterprise its own):
 * detected alerts overlapping the range, oldest first, each with its evidence (the readings
 * and the values expected there), its evidence hash and, once closed, the transaction that
 * recorded that hash on chain. Default range: the last day.
 */
export async function alertRoutes(app: FastifyInstance, params: AlertRoutesParameters): Promise<void> {
  app.get<{ Querystring: { from?: string; to?: string; outfall?: string; enterprise?: string; limit?: number } }>(
    '/api/v1/alerts',
    {
      ...requireRole('bureau', 'enterprise'),
      schema: { querystring: alertsQuerySchema },
    },
    async (request, reply) => {
      const q = scopeToCaller(request, { enterprise: request.query.enterprise, outfall: request.query.outfall });
      if (!params.alerts) return reply.status(404).send({ error: 'this process runs no anomaly detection', code: 'NO_DETECTION' });
      const toMs = request.query.to === undefined ? Date.now() + 1 : parseTime('to', request.query.to);
      const fromMs = request.query.from === undefined ? toMs - DAY_MS : parseTime('from', request.query.from);
      const alerts = await params.alerts.query({ enterprise: q.enterprise, outfall: q.outfall, fromMs, toMs, limit: request.query.limit ?? 1000 });
      return { alerts: alerts.map((a) => ({ ...a, evidence: { ...a.evidence, readings: a.evidence.readings.map((r) => ({ ...r, expected: Number.isFinite(r.expected) ? r.expected : null })) } })) };
    },
  );
}
