/**
 * An enterprise's credit score, from on-chain facts only: the alerts the bureau
 * confirmed (AlertRegistry), its blacklist standing (Blacklist) and its credit
 * debt per pollutant (EmissionLedger). Pure: the same facts give the same score
 * anywhere, so anyone who reads the chain can recompute it (cloud/README.md).
 */
import { POLLUTANTS } from '@qingliu/protocol';
import type { PollutantCode } from '@qingliu/protocol';

/** One pollutant's credits on EmissionLedger. */
export interface CreditLine {
  pollutant: PollutantCode;
  /** `balanceOf`: below zero is debt. Milligrams. */
  balanceMilligrams: bigint;
  /** `allocationOf`: everything ever allocated. Milligrams. */
  allocatedMilligrams: bigint;
}

/** What the score rests on, all read from the chain. */
export interface CreditFacts {
  /** Alerts of the enterprise the bureau confirmed within the policy's window. */
  confirmedAlerts: number;
  blacklisted: boolean;
  credits: readonly CreditLine[];
}

export interface CreditPolicy {
  /** The score of a clean record. */
  start: number;
  /** Points off per confirmed alert in the window. */
  perConfirmedAlert: number;
  /** How far back confirmed alerts count, milliseconds (365 days). */
  windowMs: number;
  /** Points off for each pollutant in debt, whatever the debt. */
  debtBase: number;
  /** Further points off for a pollutant in debt, in proportion to the debt over the allocation, at most this. */
  debtScaled: number;
  /** Confirmed alerts in the window at or above which the bureau is offered to blacklist the enterprise. */
  blacklistThreshold: number;
}

export const defaultCreditPolicy: CreditPolicy = {
  start: 100,
  perConfirmedAlert: 15,
  windowMs: 365 * 86_400_000,
  debtBase: 5,
  debtScaled: 15,
  blacklistThreshold: 3,
};

/** One line of why the score is what it is. */
export interface ScoreDeduction {
  /** `confirmed-alerts`, `debt` (with its pollutant) or `blacklisted`. */
  cause: 'confirmed-alerts' | 'debt' | 'blacklisted';
  pollutant?: PollutantCode;
  points: number;
  /** In words, for the pages. */
  note: string;
}

export interface CreditScore {
  /** 0..start, whole points. */
  score: number;
  deductions: ScoreDeduction[];
  /** Confirmed alerts reached the policy's threshold, and the enterprise is not listed yet. */
  blacklistProposed: boolean;
}

/**
 * The score: `start`, minus `perConfirmedAlert` for each confirmed alert in the window, minus
 * for each pollutant in debt `debtBase + round(debtScaled * min(1, debt / allocation))`
 * (the full `debtBase + debtScaled` when nothing was allocated), never below 0; a
 * blacklisted enterprise scores 0.
 */
export function creditScore(facts: CreditFacts, policy: CreditPolicy = defaultCreditPolicy): CreditScore {
  if (!Number.isInteger(facts.confirmedAlerts) || facts.confirmedAlerts < 0) {
    throw new RangeError(`creditScore: confirmedAlerts must be a whole number >= 0, got ${facts.confirmedAlerts}`);
  }
  const deductions: ScoreDeduction[] = [];
  if (facts.confirmedAlerts > 0) {
    deductions.push({
      cause: 'confirmed-alerts',
      points: facts.confirmedAlerts * policy.perConfirmedAlert,
      note: `${facts.confirmedAlerts} confirmed alert${facts.confirmedAlerts === 1 ? '' : 's'} × ${policy.perConfirmedAlert}`,
    });
  }
  for (const line of facts.credits) {
    if (line.balanceMilligrams >= 0n) continue;
    const debt = -line.balanceMilligrams;
    const share = line.allocatedMilligrams > 0n ? Math.min(1, Number(debt) / Number(line.allocatedMilligrams)) : 1;
    const points = policy.debtBase + Math.round(policy.debtScaled * share);
    deductions.push({ cause: 'debt', pollutant: line.pollutant, points, note: `${POLLUTANTS[line.pollutant]?.name ?? line.pollutant} in debt (${(share * 100).toFixed(0)} % of its allocation)` });
  }
  if (facts.blacklisted) deductions.push({ cause: 'blacklisted', points: policy.start, note: 'blacklisted: the score is 0' });
  const off = deductions.reduce((sum, d) => sum + d.points, 0);
  return {
    score: facts.blacklisted ? 0 : Math.max(0, policy.start - off),
    deductions,
    blacklistProposed: !facts.blacklisted && facts.confirmedAlerts >= policy.blacklistThreshold,
  };
}
