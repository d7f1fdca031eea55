import type { PollutantCode } from '@qingliu/protocol';

/**
 * The chain port: where settlements are charged and anchored. The embedded
 * adapter talks to a local EVM node; FISCO BCOS (web3 RPC) or Besu slot in
 * behind the same interface by configuration.
 *
 * Amounts are integer milligrams of pollutant (1 credit = 1 kg = 1,000,000 mg).
 */
export interface EnterpriseLoad {
  enterprise: string;
  pollutant: PollutantCode;
  milligrams: bigint;
}

export interface Settlement {
  /** Unique per settlement period; a batch is charged at most once. */
  batchId: bigint;
  /** Merkle root of the batch's readings (protocol/README.md). */
  root: string;
  readingCount: number;
  loads: EnterpriseLoad[];
}

export interface SettlementReceipt {
  batchId: bigint;
  /** The transaction that settled the batch (the earlier one, if it was already settled). */
  txHash: string | undefined;
  /** True when the chain had this batch already and nothing was charged now. */
  alreadySettled: boolean;
}

export interface AnchoredBatch {
  root: string;
  readingCount: number;
  /** Unix seconds of the block that settled it. */
  settledAt: number;
}

export interface Ledger {
  /** Charges each load and anchors the root, exactly once per batch id. */
  settle(settlement: Settlement): Promise<SettlementReceipt>;
  /** Credits left in milligrams; negative when the enterprise is in debt. */
  balanceOf(enterprise: string, pollutant: PollutantCode): Promise<bigint>;
  anchoredBatch(batchId: bigint): Promise<AnchoredBatch | undefined>;
  close(): Promise<void>;
}
