import { open, readFile, rename } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { QingliuError, isQingliuError } from '@qingliu/protocol';
import type { PollutantCode } from '@qingliu/protocol';
import type { AnchoredBatch, Ledger, Settlement, SettlementReceipt } from '../ports/ledger.js';

export interface CreateDurableLedgerParameters {
  /** The JSON-lines journal of pending settlements; created if missing. */
  journalPath: string;
  /** How long to wait before retrying after the chain was unavailable, in milliseconds. Default 1,000. */
  retryMs?: number;
  logger?: Logger;
}

/** A Ledger whose settlements survive a chain outage and a restart, in a journal on disk. */
export interface DurableLedger extends Ledger {
  /** Settlements journaled and not yet confirmed on chain, oldest first. */
  pending(): Settlement[];
  /** Tries every pending settlement now, in order; resolves with those confirmed by this call. */
  drain(): Promise<SettlementReceipt[]>;
}

type JournalEntry =
  | { op: 'queued'; batchId: string; root: string; readingCount: number; loads: { enterprise: string; pollutant: string; milligrams: string }[] }
  | { op: 'settled'; batchId: string; txHash: string | null; alreadySettled: boolean }
  | { op: 'rejected'; batchId: string; error: string };

function toEntry(s: Settlement): JournalEntry {
  return {
    op: 'queued',
    batchId: String(s.batchId),
    root: s.root,
    readingCount: s.readingCount,
    loads: s.loads.map((l) => ({ enterprise: l.enterprise, pollutant: l.pollutant, milligrams: String(l.milligrams) })),
  };
}

function fromEntry(e: Extract<JournalEntry, { op: 'queued' }>): Settlement {
  return {
    batchId: BigInt(e.batchId),
    root: e.root,
    readingCount: e.readingCount,
    loads: e.loads.map((l) => ({ enterprise: l.enterprise, pollutant: l.pollutant as PollutantCode, milligrams: BigInt(l.milligrams) })),
  };
}

/** Appends and fsyncs before resolving: an entry that resolved is on disk. */
async function appendSynced(handle: FileHandle, entries: JournalEntry[]): Promise<void> {
  await handle.appendFile(entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
  await handle.sync();
}

/**
 * Reads the journal: settlements queued and not yet settled or rejected, in order. A torn
 * last line (a crash in the middle of a write) is skipped; any other bad line is an error.
 */
async function readJournal(path: string): Promise<Map<string, Settlement>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new QingliuError('CONFIG_INVALID', `cannot read the settlement journal ${path}`, { cause: error });
  }
  const pending = new Map<string, Settlement>();
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let entry: JournalEntry;
    try {
      entry = JSON.parse(line) as JournalEntry;
    } catch (error) {
      if (i === lines.length - 1) return; // torn tail: it was never acknowledged
      throw new QingliuError('CONFIG_INVALID', `the settlement journal ${path} is corrupt at line ${i + 1}`, { cause: error });
    }
    if (entry.op === 'queued') {
      if (!pending.has(entry.batchId)) pending.set(entry.batchId, fromEntry(entry));
    } else {
      pending.delete(entry.batchId);
    }
  });
  return pending;
}

/**
 * Wraps a Ledger with a durable queue of pending settlements (a JSON-lines journal, fsynced
 * on every entry), so that a chain outage delays settlement and never drops or repeats one:
 *
 * - `settle` journals the settlement before sending it, then sends the queue in order.
 *   When the chain is unavailable it rejects with a retryable CHAIN_UNAVAILABLE, the
 *   settlement stays queued, and the queue is retried every `retryMs` in the background.
 * - On start the journal is replayed: what was queued and not confirmed is sent again.
 *   The contract settles a batch id at most once, so a settlement that reached the chain
 *   before a crash comes back as `alreadySettled` and is not charged twice.
 * - A settlement the chain refuses for good (not retryable) is journaled as rejected and
 *   its error returned; it does not block those behind it.
 *
 * The journal is compacted on start to the entries still pending.
 */
export async function createDurableLedger(inner: Ledger, params: CreateDurableLedgerParameters): Promise<DurableLedger> {
  const { journalPath, retryMs = 1000 } = params;
  const log = params.logger?.child({ component: 'durable-ledger' });
  const queue = await readJournal(journalPath);

  // Compact: rewrite only the pending entries, atomically.
  const tmp = `${journalPath}.tmp`;
  const rewrite = await open(tmp, 'w');
  try {
    await appendSynced(rewrite, [...queue.values()].map(toEntry));
  } finally {
    await rewrite.close();
  }
  await rename(tmp, journalPath);
  const dir = await open(dirname(journalPath), 'r');
  await dir.sync().finally(() => dir.close());
  const journal = await open(journalPath, 'a');

  const receipts = new Map<string, SettlementReceipt>();
  const failures = new Map<string, QingliuError>();
  let draining: Promise<SettlementReceipt[]> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  if (queue.size > 0) log?.info({ pending: queue.size }, 'replaying pending settlements from the journal');

  function scheduleRetry(): void {
    if (closed || timer || queue.size === 0) return;
    timer = setTimeout(() => {
      timer = undefined;
      void drain().catch((error: unknown) => log?.error({ err: error }, 'draining the settlement journal failed'));
    }, retryMs);
    timer.unref();
  }

  async function drainOnce(): Promise<SettlementReceipt[]> {
    const confirmed: SettlementReceipt[] = [];
    for (const [key, settlement] of [...queue]) {
      try {
        const receipt = await inner.settle(settlement);
        await appendSynced(journal, [
          { op: 'settled', batchId: key, txHash: receipt.txHash ?? null, alreadySettled: receipt.alreadySettled },
        ]);
        queue.delete(key);
        failures.delete(key);
        receipts.set(key, receipt);
        confirmed.push(receipt);
      } catch (error) {
        const failure = isQingliuError(error)
          ? error
          : new QingliuError('CHAIN_UNAVAILABLE', `settling batch ${key} failed`, { retryable: true, cause: error });
        failures.set(key, failure);
        if (failure.retryable) {
          log?.warn({ err: failure, batchId: key, pending: queue.size }, 'chain unavailable; settlement stays queued');
          scheduleRetry();
          break; // keep the order: later batches wait behind this one
        }
        log?.error({ err: failure, batchId: key }, 'settlement refused by the chain; dropped from the queue');
        await appendSynced(journal, [{ op: 'rejected', batchId: key, error: `${failure.code}: ${failure.message}` }]);
        queue.delete(key);
      }
    }
    return confirmed;
  }

  function drain(): Promise<SettlementReceipt[]> {
    draining ??= drainOnce().finally(() => {
      draining = undefined;
    });
    return draining;
  }

  return {
    async settle(settlement: Settlement): Promise<SettlementReceipt> {
      if (closed) throw new QingliuError('CHAIN_UNAVAILABLE', 'the durable ledger is closed', { retryable: true });
      const key = String(settlement.batchId);
      const earlier = receipts.get(key);
      if (earlier) return { ...earlier, alreadySettled: true };
      if (!queue.has(key)) {
        await appendSynced(journal, [toEntry(settlement)]);
        queue.set(key, settlement);
      }
      // A drain in progress may have started before this entry: wait for it, then drain again.
      await draining;
      await drain();
      const receipt = receipts.get(key);
      if (receipt) return receipt;
      const failure = failures.get(key);
      if (failure && !failure.retryable) throw failure;
      throw new QingliuError('CHAIN_UNAVAILABLE', `batch ${key} is queued in the settlement journal; it will be retried`, {
        retryable: true,
        ...(failure ? { cause: failure, details: failure.shortMessage } : {}),
      });
    },

    pending: () => [...queue.values()],
    drain,

    balanceOf: (enterprise: string, pollutant: PollutantCode): Promise<bigint> => inner.balanceOf(enterprise, pollutant),
    anchoredBatch: (batchId: bigint): Promise<AnchoredBatch | undefined> => inner.anchoredBatch(batchId),

    async close(): Promise<void> {
      closed = true;
      if (timer) clearTimeout(timer);
      await draining?.catch(() => undefined);
      await journal.close();
      await inner.close();
    },
  };
}
