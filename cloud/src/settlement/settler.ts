import type { Logger } from 'pino';
import type { PollutantCode } from '@qingliu/protocol';
import type { Ledger } from '../ports/ledger.js';
import type { ReadingStore } from '../ports/reading-store.js';
import type { DeviceRegistry } from '../registry/device-registry.js';
import { settleBatch } from './settle-batch.js';
import type { SettledBatch } from './settle-batch.js';

export type { SettledBatch } from './settle-batch.js';

export interface SettlerParameters {
  store: ReadingStore;
  ledger: Ledger;
  registry: DeviceRegistry;
  logger: Logger;
  /** Earlier batches left unsettled by a previous run, settled first. */
  backlog?: readonly number[];
  /** The first batch to settle after the backlog. */
  firstBatch: number;
  /** The batch readings arriving now are assigned to. */
  currentBatch: () => number;
  /** Resolves when every write of `batch` and earlier batches is done. */
  writesSettled: (batch: number) => Promise<void>;
  /** Pollutants charged against credits; the loads of others are computed but not charged. */
  chargedPollutants: readonly PollutantCode[];
  /** How often to look for closed batches, milliseconds. */
  tickMs: number;
}

export interface Settler {
  /** Settles every closed batch not yet settled; returns what it settled. */
  settleDue(): Promise<SettledBatch[]>;
  /** Settled batches so far, oldest first. */
  settled(): readonly SettledBatch[];
  onSettled(listener: (batch: SettledBatch) => void): void;
  /** Stops the timer and finishes a settlement in progress. */
  close(): Promise<void>;
}

/** Batches with stored readings, before `before`, that the ledger has not anchored. */
export async function findUnsettledBatches(store: ReadingStore, ledger: Ledger, before: number): Promise<number[]> {
  const out: number[] = [];
  for (const batch of await store.batches()) {
    if (batch < before && !(await ledger.anchoredBatch(BigInt(batch)))) out.push(batch);
  }
  return out;
}

/**
 * Closes settlement batches: when a period has ended and its writes are done,
 * settles it (settle-batch.ts: loads, Merkle root, seal, charge and anchor).
 * A failed settlement is retried on the next tick; the ledger charges a batch
 * id at most once, so a retry after an unknown outcome cannot charge twice.
 */
export function createSettler(params: SettlerParameters): Settler {
  const { store, ledger, registry, logger } = params;
  const backlog = [...(params.backlog ?? [])];
  let next = params.firstBatch;
  const done: SettledBatch[] = [];
  const listeners: ((batch: SettledBatch) => void)[] = [];
  let running: Promise<SettledBatch[]> | undefined;
  let closed = false;

  async function settleOne(batch: number): Promise<SettledBatch | undefined> {
    await params.writesSettled(batch);
    return settleBatch({ store, ledger, registry, chargedPollutants: params.chargedPollutants }, batch);
  }

  async function run(): Promise<SettledBatch[]> {
    const settledNow: SettledBatch[] = [];
    for (;;) {
      const batch = backlog[0] ?? next;
      if (batch >= params.currentBatch() || closed) break;
      try {
        const result = await settleOne(batch);
        if (result) {
          done.push(result);
          settledNow.push(result);
          logger.info(
            { batch: result.batch, root: result.root, readings: result.readingCount, tx: result.receipt.txHash },
            'batch settled',
          );
          for (const listener of listeners) listener(result);
        }
        if (backlog.length > 0) backlog.shift();
        else next += 1;
      } catch (error) {
        logger.warn({ err: error, batch }, 'settlement failed; will retry');
        break;
      }
    }
    return settledNow;
  }

  const settleDue = (): Promise<SettledBatch[]> => {
    running ??= run().finally(() => {
      running = undefined;
    });
    return running;
  };

  const timer = setInterval(() => void settleDue(), params.tickMs);

  return {
    settleDue,
    settled: () => done,
    onSettled(listener) {
      listeners.push(listener);
    },
    async close() {
      closed = true;
      clearInterval(timer);
      await running;
    },
  };
}
