import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AlertLedger } from '../ports/alert-ledger.js';
import type { BureauActions } from '../ports/bureau-actions.js';
import { createVerdictService } from '../services/alert-verdicts.js';
import { requireRole } from './roles.js';

export type { BureauActions } from '../ports/bureau-actions.js';
export { reasonHash } from '../services/alert-verdicts.js';

export interface VerdictRoutesParameters {
  /** Reads the alert and its verdict from the chain (AlertRegistry). */
  alertLedger?: Pick<AlertLedger, 'get'> | undefined;
  /** The bureau's key on the chain; without it (or the alert ledger) the route answers 501. */
  bureau?: BureauActions | undefined;
  logger?: Logger | undefined;
}

export interface VerdictBody {
  verdict: 'confirmed' | 'dismissed';
  /** The bureau's grounds in words (an inspection report's reference, say); its sha256 goes on chain. */
  reason: string;
}

const ALERT_ID = '^0x[0-9a-fA-F]{64}$';

export const verdictParamsSchema = { type: 'object', properties: { id: { type: 'string', pattern: ALERT_ID } }, required: ['id'] } as const;
export const verdictBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['verdict', 'reason'],
  properties: {
    verdict: { type: 'string', enum: ['confirmed', 'dismissed'] },
    reason: { type: 'string', minLength: 1, maxLength: 2000, description: "the bureau's grounds in words; its sha256 goes on chain" },
  },
} as const;

/**
 * POST /api/v1/alerts/:id/verdict (bureau only), body `{verdict: 'confirmed'|'dismissed', reason}`:
 * confirms or dismisses a recorded alert on AlertRegistry with `reasonHash = sha256(reason)`, and
 * answers `{alertId, enterprise, verdict, reasonHash, txHash}` once it is mined. Errors, as JSON
 * `{error, code}`: 404 ALERT_UNKNOWN (not on chain: unknown, or not closed and recorded yet), 409
 * ALERT_DECIDED (it has its verdict, named in `verdict`), 503 with `retryable: true` when the
 * chain is unreachable, 501 NO_BUREAU_KEY when this process holds no bureau key.
 */
export async function verdictRoutes(app: FastifyInstance, params: VerdictRoutesParameters): Promise<void> {
  const { alertLedger, bureau } = params;
  const verdicts = alertLedger && bureau ? createVerdictService({ alertLedger, bureau, logger: params.logger }) : undefined;
  app.post<{ Params: { id: string }; Body: VerdictBody }>(
    '/api/v1/alerts/:id/verdict',
    {
      ...requireRole('bureau'),
      schema: { params: verdictParamsSchema, body: verdictBodySchema },
    },
    async (request, reply) => {
      if (!verdicts) return reply.status(501).send({ error: 'this process holds no bureau key, so it records no verdicts', code: 'NO_BUREAU_KEY' });
      const result = await verdicts.record(request.params.id, request.body.verdict, request.body.reason);
      if (result.outcome === 'unknown') {
        return reply.status(404).send({ error: `alert ${result.alertId} is not on chain: unknown, or not closed and recorded yet`, code: 'ALERT_UNKNOWN' });
      }
      if (result.outcome === 'decided') {
        return reply.status(409).send({ error: `alert ${result.alertId} is ${result.verdict} already: a verdict is final`, code: 'ALERT_DECIDED', verdict: result.verdict });
      }
      const { outcome: _outcome, ...recorded } = result;
      return recorded;
    },
  );
}
