import { createHash } from 'node:crypto';
import type { PollutantCode } from '@qingliu/protocol';
import type { AnchoredBatch, Ledger, Settlement, SettlementReceipt } from '../ports/ledger.js';
import { checkSettlement } from './settlement-check.js';

/** The Ledger port in memory, with the bureau's allocation (the EVM adapter's is the bureau client's). */
export interface MemoryLedger extends Ledger {
  /** Adds credits, as the bureau's allocation does on chain. */
  allocate(enterprise: string, pollutant: PollutantCode, milligrams: bigint): void;
}

/**
 * The Ledger port without a chain, for tests and single-process trials: the same rules as the
 * EmissionLedger contract (each batch settled once, loads charged against credits and below
 * zero as debt, the root anchored with its reading count and time), and the same refusals of a
 * malformed settlement. It passes the ledger contract suite (ports/ledger.suite.ts) as the EVM
 * adapter does. Its transaction hashes are sha256 of the batch id: no chain, nothing to look up.
 */
export function createMemoryLedger(params: { now?: () => number } = {}): MemoryLedger {
  const now = params.now ?? Date.now;
  const balances = new Map<string, bigint>();
  const batches = new Map<bigint, AnchoredBatch & { txHash: string }>();
  const key = (enterprise: string, pollutant: string): string => `${enterprise}\u0000${pollutant}`;
  return {
    allocate(enterprise, pollutant, milligrams) {
      balances.set(key(enterprise, pollutant), (balances.get(key(enterprise, pollutant)) ?? 0n) + milligrams);
    },
    async settle(settlement: Settlement): Promise<SettlementReceipt> {
      checkSettlement(settlement);
      const { batchId, root, readingCount, loads } = settlement;
      const settled = batches.get(batchId);
      if (settled) return { batchId, txHash: settled.txHash, alreadySettled: true };
      const txHash = `0x${createHash('sha256').update(`qingliu-memory-ledger:${batchId}`).digest('hex')}`;
      batches.set(batchId, { root: root.toLowerCase(), readingCount, settledAt: Math.floor(now() / 1000), txHash });
      for (const load of loads) balances.set(key(load.enterprise, load.pollutant), (balances.get(key(load.enterprise, load.pollutant)) ?? 0n) - load.milligrams);
      return { batchId, txHash, alreadySettled: false };
    },
    async balanceOf(enterprise, pollutant) {
      return balances.get(key(enterprise, pollutant)) ?? 0n;
    },
    async anchoredBatch(batchId) {
      const batch = batches.get(batchId);
      return batch && { root: batch.root, readingCount: batch.readingCount, settledAt: batch.settledAt };
    },
    async close() {},
  };
}
