import type { CreditFacts } from '../record/credit-score.js';

/** An enterprise's record as the chain holds it: what its credit score is computed from. */
export interface EnterpriseRecord extends CreditFacts {
  enterprise: string;
  /** Ids (0x, 32 bytes) of the alerts counted in `confirmedAlerts`, oldest first. */
  confirmedAlertIds: string[];
  /** Every alert of the enterprise the bureau ever confirmed (AlertRegistry's `confirmedCount`). */
  confirmedTotal: number;
}

/**
 * Reads enterprises' records from the chain (AlertRegistry, Blacklist, EmissionLedger).
 * The embedded adapter reads an EVM node over JSON-RPC; it holds no key.
 */
export interface EnterpriseRecordSource {
  /** The record of `enterprise`, counting alerts confirmed at or after `sinceMs` (Unix ms, by block time). */
  read(enterprise: string, sinceMs: number): Promise<EnterpriseRecord>;
  close(): Promise<void>;
}
