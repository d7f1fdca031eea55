import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { BLACKLIST_REASONS } from '@qingliu/contracts';
import type { BureauActions } from '../ports/bureau-actions.js';
import type { EnterpriseRecordSource } from '../ports/enterprise-record.js';
import type { DeviceRegistry } from '../registry/device-registry.js';
import type { CreditPolicy } from '../record/credit-score.js';
import { createBlacklistService, createEnterpriseRecordService } from '../services/enterprise-records.js';
import type { BlacklistReasonName } from '../services/enterprise-records.js';
import { requireRole, scopeToCaller } from './roles.js';

export { alertIdsEvidenceHash } from '../services/enterprise-records.js';
export type { EnterpriseRecordView } from '../services/enterprise-records.js';

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
  const records = params.records ? createEnterpriseRecordService({ records: params.records, policy: params.policy, ...(params.now ? { now: params.now } : {}) }) : undefined;
  const lister = records && params.bureau ? createBlacklistService({ records, bureau: params.bureau, logger: params.logger }) : undefined;

  app.get<{ Querystring: { enterprise?: string } }>(
    '/api/v1/records',
    { ...requireRole('bureau', 'enterprise'), schema: { querystring: recordsQuerySchema } },
    async (request, reply) => {
      const scope = scopeToCaller(request, { enterprise: request.query.enterprise });
      if (!records) return reply.status(501).send({ error: 'this process reads no enterprise records from the chain', code: 'NO_RECORDS' });
      const views = await records.records(params.registry.enterprises().filter((e) => scope.enterprise === undefined || e === scope.enterprise));
      // Only the bureau acts on a proposal.
      if (request.caller.role !== 'bureau') for (const r of views) r.blacklistProposed = false;
      return { policy: records.policy, records: views };
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
      if (!lister) return reply.status(501).send({ error: 'this process holds no bureau key, so it lists no one', code: 'NO_BUREAU_KEY' });
      if (!params.registry.enterprises().includes(enterprise)) return reply.status(404).send({ error: `enterprise ${enterprise} is not enrolled here`, code: 'ENTERPRISE_UNKNOWN' });
      const result = await lister.blacklist(enterprise, (request.body?.reason ?? 'illegalDischarge') as BlacklistReasonName);
      if (result.outcome === 'not-proposed') return reply.status(409).send({ error: result.why, code: 'NOT_PROPOSED' });
      const { outcome: _outcome, ...listed } = result;
      return listed;
    },
  );
}
