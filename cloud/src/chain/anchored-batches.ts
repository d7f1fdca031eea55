import type { Contract, EventLog, Provider } from 'ethers';
import { QingliuError } from '@qingliu/protocol';
import type { AnchoredBatch } from '../ports/ledger.js';
import { toChainError } from './chain-errors.js';

/**
 * An anchored batch as the chain records it: the root from EmissionLedger's storage
 * (`batchRoot`), the reading count from its `BatchSettled` event, the settlement time from
 * that event's block, and the transaction that emitted it.
 */
export interface AnchoredBatchRecord extends AnchoredBatch {
  txHash: string;
  blockNumber: number;
}

export interface AnchoredBatchReaderParameters {
  /** An EmissionLedger (at least `batchRoot` and the `BatchSettled` event in its ABI) on `provider`. */
  contract: Contract;
  provider: Provider;
  /** The block the ledger was deployed in: event look-ups start there. Default 0. */
  fromBlock?: number;
  /** Anchored batches kept in memory (they never change once settled). Default 1,024. */
  cacheSize?: number;
}

export interface AnchoredBatchReader {
  /** Whether `batchId` is settled and its root: one `eth_call`, no event look-up. */
  root(batchId: bigint): Promise<{ root: string; settled: boolean }>;
  /** The whole record, or undefined when the batch was never settled. */
  read(batchId: bigint): Promise<AnchoredBatchRecord | undefined>;
  /** The transaction that anchored `batchId` (from the cache or its event), if any. */
  settlingTx(batchId: bigint): Promise<string | undefined>;
  /** Records what this process anchored itself, so reading it back needs no event look-up. */
  remember(batchId: bigint, record: Omit<AnchoredBatchRecord, 'settledAt'> & { settledAt?: number }): void;
}

/**
 * Reads anchored batches back. EmissionLedger stores only each batch's root (one storage
 * slot per batch keeps anchoring under 5 gas per reading at 10,000 readings); the reading
 * count and the time are in the batch's `BatchSettled` event, found by its indexed batch id.
 *
 * A node that refuses the log query (range limits on some public endpoints) makes `read`
 * reject; set `fromBlock` to the deployment block to keep the range small.
 */
export function createAnchoredBatchReader(params: AnchoredBatchReaderParameters): AnchoredBatchReader {
  const { contract, provider, fromBlock = 0, cacheSize = 1_024 } = params;
  const cache = new Map<string, Omit<AnchoredBatchRecord, 'settledAt'> & { settledAt?: number }>();

  const keep = (batchId: bigint, record: Omit<AnchoredBatchRecord, 'settledAt'> & { settledAt?: number }): void => {
    const key = String(batchId);
    cache.delete(key);
    cache.set(key, record);
    if (cache.size > cacheSize) cache.delete(cache.keys().next().value!);
  };

  async function root(batchId: bigint): Promise<{ root: string; settled: boolean }> {
    try {
      const [anchoredRoot, settled] = (await contract.getFunction('batchRoot').staticCall(batchId)) as [string, boolean];
      return { root: anchoredRoot, settled };
    } catch (error) {
      throw toChainError(error, `cannot read batch ${batchId}`);
    }
  }

  /** The BatchSettled event of `batchId`; there is at most one (the contract settles an id once). */
  async function findEvent(batchId: bigint): Promise<EventLog | undefined> {
    try {
      const events = await contract.queryFilter(contract.getEvent('BatchSettled')(batchId), fromBlock, 'latest');
      return events.find((e): e is EventLog => 'args' in e);
    } catch (error) {
      throw toChainError(error, `cannot look up the BatchSettled event of batch ${batchId}`);
    }
  }

  async function timestampOf(blockNumber: number): Promise<number> {
    try {
      const block = await provider.getBlock(blockNumber);
      if (!block) throw new Error(`block ${blockNumber} not found`);
      return block.timestamp;
    } catch (error) {
      throw toChainError(error, `cannot read block ${blockNumber}`);
    }
  }

  return {
    root,

    async read(batchId) {
      const key = String(batchId);
      let record = cache.get(key);
      if (!record) {
        const anchored = await root(batchId);
        if (!anchored.settled) return undefined;
        const event = await findEvent(batchId);
        if (!event) {
          throw new QingliuError('CHAIN_UNAVAILABLE', `batch ${batchId} is anchored but its BatchSettled event was not found`, {
            retryable: true,
            details: `looked from block ${fromBlock}; the node may not have indexed the block yet, or prunes logs`,
          });
        }
        record = {
          root: anchored.root,
          readingCount: Number(event.args.getValue('readingCount') as bigint),
          txHash: event.transactionHash,
          blockNumber: event.blockNumber,
        };
      }
      const settledAt = record.settledAt ?? (await timestampOf(record.blockNumber));
      const complete = { ...record, settledAt };
      keep(batchId, complete);
      return complete;
    },

    async settlingTx(batchId) {
      const cached = cache.get(String(batchId));
      if (cached) return cached.txHash;
      return (await findEvent(batchId))?.transactionHash;
    },

    remember: keep,
  };
}
