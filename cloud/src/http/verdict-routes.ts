import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { isQingliuError } from '@qingliu/protocol';
import type { BureauClient } from '../chain/bureau-client.js';
import type { AlertLedger } from '../ports/alert-ledger.js';
import { requireRole } from './roles.js';

/** What the bureau does on chain through the API: its verdicts on alerts, and blacklisting. */
export type BureauActions = Pick<BureauClient, 'confirmAlert' | 'dismissAlert'> & { blacklist: Pick<BureauClient['blacklist'], 'add'> };

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

/** `0x` + sha256 of the reason's UTF-8 bytes: the reason hash recorded with the verdict. */
export const reasonHash = (reason: string): string => `0x${createHash('sha256').update(reason, 'utf8').digest('hex')}`;

/**
 * Sends a chain failure as JSON: 503 with `retryable: true` (and Retry-After) when the node is
 * unreachable, 502 for a revert nothing else explains.
 */
export function sendChainFailure(reply: FastifyReply, error: unknown, what: string): FastifyReply {
  if (isQingliuError(error) && error.retryable) {
    return reply.status(503).header('retry-after', '5').send({ error: `${what}: the chain is unavailable; try again`, code: error.code, retryable: true });
  }
  const details = isQingliuError(error) ? error.details : undefined;
  const message = isQingliuError(error) ? error.shortMessage : error instanceof Error ? error.message : String(error);
  return reply.status(502).send({ error: `${what}: ${message}`, code: isQingliuError(error) ? error.code : 'CHAIN_FAILED', ...(details ? { details } : {}), retryable: false });
}

/**
 * POST /api/v1/alerts/:id/verdict (bureau only), body `{verdict: 'confirmed'|'dismissed', reason}`:
 * confirms or dismisses a recorded alert on AlertRegistry with `reasonHash = sha256(reason)`, and
 * answers `{alertId, enterprise, verdict, reasonHash, txHash}` once it is mined. Errors, as JSON
 * `{error, code}`: 404 ALERT_UNKNOWN (not on chain: unknown, or not closed and recorded yet), 409
 * ALERT_DECIDED (it has its verdict, named in `verdict`), 503 with `retryable: true` when the
 * chain is unreachable, 501 NO_BUREAU_KEY when this process holds no bureau key.
 */
export async function verdictRoutes(app: FastifyInstance, params: VerdictRoutesParameters): Promise<void> {
  app.post<{ Params: { id: string }; Body: VerdictBody }>(
    '/api/v1/alerts/:id/verdict',
    {
      ...requireRole('bureau'),
      schema: { params: verdictParamsSchema, body: verdictBodySchema },
    },
    async (request, reply) => {
      const { alertLedger, bureau } = params;
      if (!alertLedger || !bureau) return reply.status(501).send({ error: 'this process holds no bureau key, so it records no verdicts', code: 'NO_BUREAU_KEY' });
      const alertId = request.params.id.toLowerCase();
      const { verdict, reason } = request.body;
      let onChain: Awaited<ReturnType<AlertLedger['get']>>;
      try {
        onChain = await alertLedger.get(alertId);
      } catch (error) {
        return sendChainFailure(reply, error, `cannot read alert ${alertId}`);
      }
      const unknown = (): FastifyReply =>
        reply.status(404).send({ error: `alert ${alertId} is not on chain: unknown, or not closed and recorded yet`, code: 'ALERT_UNKNOWN' });
      const decided = (current: string): FastifyReply =>
        reply.status(409).send({ error: `alert ${alertId} is ${current} already: a verdict is final`, code: 'ALERT_DECIDED', verdict: current });
      if (!onChain) return unknown();
      if (onChain.verdict !== 'pending') return decided(onChain.verdict);

      const hash = reasonHash(reason);
      try {
        const tx = verdict === 'confirmed' ? await bureau.confirmAlert(alertId, hash) : await bureau.dismissAlert(alertId, hash);
        params.logger?.info({ alertId, enterprise: onChain.enterprise, verdict, reasonHash: hash, tx: tx.txHash }, 'bureau verdict on alert recorded');
        return { alertId, enterprise: onChain.enterprise, verdict, reasonHash: hash, txHash: tx.txHash };
      } catch (error) {
        // Raced by another verdict between the read and the transaction.
        const details = isQingliuError(error, 'CHAIN_REVERTED') ? (error.details ?? '') : '';
        if (details.startsWith('AlertRegistryAlreadyDecided')) return decided((await alertLedger.get(alertId).catch(() => undefined))?.verdict ?? 'decided');
        if (details.startsWith('AlertRegistryUnknownAlert')) return unknown();
        return sendChainFailure(reply, error, `cannot record the verdict on alert ${alertId}`);
      }
    },
  );
}
