import type { BLACKLIST_REASONS } from '@qingliu/contracts';

/** A transaction the bureau's key sent, once mined. */
export interface BureauTransaction {
  txHash: string;
}

/**
 * What the bureau does on chain through the API: its verdicts on alerts and blacklisting.
 * chain/bureau-client.ts is the EVM adapter (the bureau's own key, held by the bureau's process).
 */
export interface BureauActions {
  /** Confirms a pending alert (its 0x 32-byte id), with the hash of the grounds. */
  confirmAlert(alertId: string, reasonHash: string): Promise<BureauTransaction>;
  /** Dismisses a pending alert, with the hash of the grounds. */
  dismissAlert(alertId: string, reasonHash: string): Promise<BureauTransaction>;
  blacklist: {
    /** Lists `enterprise` with a reason and the hash of the evidence (32 bytes, 0x hex). */
    add(enterprise: string, reason: keyof typeof BLACKLIST_REASONS, evidenceHash: string): Promise<BureauTransaction>;
  };
}
