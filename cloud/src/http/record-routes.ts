import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { BLACKLIST_REASONS } from '@qingliu/contracts';
import { canonicalJson } from '@qingliu/protocol';
import type { EnterpriseRecord, EnterpriseRecordSource } from '../ports/enterprise-record.js';
import type { DeviceRegistry } from '../registry/device-registry.js';
import { creditScore, defaultCreditPolicy } from '../record/credit-score.js';
import type { CreditPolicy, CreditScore } from '../record/credit-score.js';
import { requireRole, scopeToCaller } from './roles.js';
import type { BureauActions } from './verdict-routes.js';
import { sendChainFailure } from './verdict-routes.js';

export interface RecordRoutesParameters {
  /** Reads the records from the chain; without it, the routes answer 501. */
  records?: EnterpriseRecordSource | undefined;
  /** Lists enterprises on the Blacklist; without it, POST .../blacklist answers 501. */
  bureau?: Pick<BureauActions, 'blacklist'> | undefined;
  registry: DeviceRegistry;
  /** Overrides of `defaultCreditPolicy` (record/credit-score.ts). */
  policy?: Partial<CreditPolicy> | undefined;
  logger?: Logger | undefined;
  now?: () => number;
}

/** An enterprise's record and score as the API answers it. */
export interface EnterpriseRecordView extends CreditScore {
  enterprise: string;
  facts: EnterpriseRecord;
}

const ENTERPRISE = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } as const;
const REASONS = Object.keys(BLACKLIST_REASONS).filter((r) => BLACKLIST_REASONS[r as keyof typeof BLACKLIST_REASONS] < 100);

/** GET /api/v1/records: `enterprise` narrows it to one (an enterprise: its own only). */
export const recordsQuerySchema = { type: 'object', additionalProperties: false, properties: { enterprise: ENTERPRISE } } as const;
export const blacklistParamsSchema = { type: 'object', properties: { enterprise: ENTERPRISE }, required: ['enterprise'] } as const;
/** POST /api/v1/enterprises/:enterprise/blacklist: the reason, default `illegalDischarge`. */
export const blacklistBodySchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: { reason: { type: 'string', enum: REASONS, description: 'default illegalDischarge' } },
} as const;

/** `0x` + sha256 of the canonical JSON of the alert ids, sorted: the evidence of a listing for confirmed alerts. */
export function alertIdsEvidenceHash(alertIds: readonly string[]): string {
  const ids = alertIds.map((id) => id.toLowerCase()).sort();
  return `0x${createHash('sha256').update(canonicalJson(ids), 'utf8').digest('hex')}`;
}

/**
 * The enterprises' records, from on-chain facts only:
 * - GET /api/v1/records[?enterprise=] (bureau: every enterprise; an enterprise: its own):
 *   `{policy, records: [{enterprise, score, deductions, blacklistProposed, facts}]}`; the score
 *   is `creditScore` (record/credit-score.ts) of the facts (confirmed alerts in the policy's
 *   window, blacklist standing, credits per pollutant; milligrams as decimal strings).
 * - POST /api/v1/enterprises/:enterprise/blacklist (bureau), body `{reason?}` (default
 *   `illegalDischarge`): lists the enterprise on the Blacklist with the evidence hash of its
 *   confirmed alerts' ids (`alertIdsEvidenceHash`), once they reach the policy's threshold.
 *   409 NOT_PROPOSED below it or when listed already; 404 for an enterprise nobody enrolled.
 */
export async function recordRoutes(app: FastifyInstance, params: RecordRoutesParameters): Promise<void> {
  const policy: CreditPolicy = { ...defaultCreditPolicy, ...params.policy };
  const now = params.now ?? Date.now;
  const view = async (enterprise: string): Promise<EnterpriseRecordView> => {
    const facts = await params.records!.read(enterprise, now() - policy.windowMs);
    return { enterprise, ...creditScore(facts, policy), facts };
  };

  app.get<{ Querystring: { enterprise?: string } }>(
    '/api/v1/records',
    { ...requireRole('bureau', 'enterprise'), schema: { querystring: recordsQuerySchema } },
    async (request, reply) => {
      const scope = scopeToCaller(request, { enterprise: request.query.enterprise });
      if (!params.records) return reply.status(501).send({ error: 'this process reads no enterprise records from the chain', code: 'NO_RECORDS' });
      const enterprises = params.registry.enterprises().filter((e) => scope.enterprise === undefined || e === scope.enterprise);
      try {
        const records = await Promise.all(enterprises.map(view));
        // Only the bureau acts on a proposal.
        if (request.caller.role !== 'bureau') for (const r of records) r.blacklistProposed = false;
        return { policy, records };
      } catch (error) {
        return sendChainFailure(reply, error, 'cannot read the records');
      }
    },
  );

  app.post<{ Params: { enterprise: string }; Body: { reason?: string } | undefined }>(
    '/api/v1/enterprises/:enterprise/blacklist',
    {
      ...requireRole('bureau'),
      schema: { params: blacklistParamsSchema, body: blacklistBodySchema },
    },
    async (request, reply) => {
      const { enterprise } = request.params;
      if (!params.records || !params.bureau) return reply.status(501).send({ error: 'this process holds no bureau key, so it lists no one', code: 'NO_BUREAU_KEY' });
      if (!params.registry.enterprises().includes(enterprise)) return reply.status(404).send({ error: `enterprise ${enterprise} is not enrolled here`, code: 'ENTERPRISE_UNKNOWN' });
      let record: EnterpriseRecordView;
      try {
        record = await view(enterprise);
      } catch (error) {
        return sendChainFailure(reply, error, `cannot read the record of ${enterprise}`);
      }
      if (!record.blacklistProposed) {
        const why = record.facts.blacklisted
          ? `${enterprise} is listed already`
          : `${enterprise} has ${record.facts.confirmedAlerts} confirmed alert(s) in the window; listing takes ${policy.blacklistThreshold}`;
        return reply.status(409).send({ error: why, code: 'NOT_PROPOSED' });
      }
      const reason = (request.body?.reason ?? 'illegalDischarge') as keyof typeof BLACKLIST_REASONS;
      const evidenceHash = alertIdsEvidenceHash(record.facts.confirmedAlertIds);
      try {
        const tx = await params.bureau.blacklist.add(enterprise, reason, evidenceHash);
        params.logger?.info({ enterprise, reason, evidenceHash, alerts: record.facts.confirmedAlertIds.length, tx: tx.txHash }, 'enterprise blacklisted for confirmed alerts');
        return { enterprise, reason, reasonCode: BLACKLIST_REASONS[reason], evidenceHash, alertIds: [...record.facts.confirmedAlertIds].sort(), txHash: tx.txHash };
      } catch (error) {
        return sendChainFailure(reply, error, `cannot blacklist ${enterprise}`);
      }
    },
  );
}
