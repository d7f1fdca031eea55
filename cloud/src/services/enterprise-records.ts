import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { BLACKLIST_REASONS } from '@qingliu/contracts';
import { canonicalJson } from '@qingliu/protocol';
import type { BureauActions } from '../ports/bureau-actions.js';
import type { EnterpriseRecord, EnterpriseRecordSource } from '../ports/enterprise-record.js';
import { creditScore, defaultCreditPolicy } from '../record/credit-score.js';
import type { CreditPolicy, CreditScore } from '../record/credit-score.js';
import { chainFailure } from './chain-failure.js';

/** An enterprise's record and score as the API answers it. */
export interface EnterpriseRecordView extends CreditScore {
  enterprise: string;
  facts: EnterpriseRecord;
}

export type BlacklistReasonName = keyof typeof BLACKLIST_REASONS;

/** What became of a listing: listed on chain, or not proposed (below the threshold, or listed already). */
export type BlacklistOutcome =
  | { outcome: 'listed'; enterprise: string; reason: BlacklistReasonName; reasonCode: number; evidenceHash: string; alertIds: string[]; txHash: string }
  | { outcome: 'not-proposed'; why: string };

export interface EnterpriseRecordService {
  readonly policy: CreditPolicy;
  /** The records of these enterprises, from on-chain facts; a chain failure throws. */
  records(enterprises: readonly string[]): Promise<EnterpriseRecordView[]>;
}

export interface BlacklistService {
  /** Lists `enterprise` for its confirmed alerts once they reach the policy's threshold, with `alertIdsEvidenceHash` as evidence. */
  blacklist(enterprise: string, reason: BlacklistReasonName): Promise<BlacklistOutcome>;
}

/** `0x` + sha256 of the canonical JSON of the alert ids, sorted: the evidence of a listing for confirmed alerts. */
export function alertIdsEvidenceHash(alertIds: readonly string[]): string {
  const ids = alertIds.map((id) => id.toLowerCase()).sort();
  return `0x${createHash('sha256').update(canonicalJson(ids), 'utf8').digest('hex')}`;
}

/** Enterprises' records and credit scores from on-chain facts (record/credit-score.ts). */
export function createEnterpriseRecordService(params: { records: EnterpriseRecordSource; policy?: Partial<CreditPolicy> | undefined; now?: () => number }): EnterpriseRecordService {
  const policy: CreditPolicy = { ...defaultCreditPolicy, ...params.policy };
  const now = params.now ?? Date.now;
  const view = async (enterprise: string): Promise<EnterpriseRecordView> => {
    const facts = await params.records.read(enterprise, now() - policy.windowMs);
    return { enterprise, ...creditScore(facts, policy), facts };
  };
  return {
    policy,
    records: (enterprises) =>
      Promise.all(enterprises.map(view)).catch((error: unknown) => {
        throw chainFailure(error, enterprises.length === 1 ? `cannot read the record of ${enterprises[0]}` : 'cannot read the records');
      }),
  };
}

/** The bureau's listing of an enterprise for its confirmed alerts, through the bureau's own key. */
export function createBlacklistService(params: { records: EnterpriseRecordService; bureau: Pick<BureauActions, 'blacklist'>; logger?: Logger | undefined }): BlacklistService {
  const { records, bureau, logger } = params;
  return {
    async blacklist(enterprise, reason) {
      const [record] = await records.records([enterprise]);
      if (!record!.blacklistProposed) {
        const why = record!.facts.blacklisted
          ? `${enterprise} is listed already`
          : `${enterprise} has ${record!.facts.confirmedAlerts} confirmed alert(s) in the window; listing takes ${records.policy.blacklistThreshold}`;
        return { outcome: 'not-proposed', why };
      }
      const evidenceHash = alertIdsEvidenceHash(record!.facts.confirmedAlertIds);
      try {
        const tx = await bureau.blacklist.add(enterprise, reason, evidenceHash);
        logger?.info({ enterprise, reason, evidenceHash, alerts: record!.facts.confirmedAlertIds.length, tx: tx.txHash }, 'enterprise blacklisted for confirmed alerts');
        return { outcome: 'listed', enterprise, reason, reasonCode: BLACKLIST_REASONS[reason], evidenceHash, alertIds: [...record!.facts.confirmedAlertIds].sort(), txHash: tx.txHash };
      } catch (error) {
        throw chainFailure(error, `cannot blacklist ${enterprise}`);
      }
    },
  };
}
