import type { Logger } from 'pino';
import type { ReadingEncoder } from '../ports/reading-encoder.js';
import type { BatchClock } from './assign-batch.js';
import type { Dedupe } from './dedupe.js';
import type { IngestJournal, JournalAppend } from './ingest-journal.js';
import { createJournalWriter } from './journal-writer.js';
import type { ReadingSink, StoreWrite } from './write.js';

export interface JournalStageParameters {
  journal: IngestJournal;
  clock: BatchClock;
  dedupe: Dedupe;
  write: StoreWrite;
  /** For what is left of entries read back after a crash. */
  encode: ReadingEncoder;
  /** True once the ingester is closing: backpressure then stops waiting and leaves the message unacknowledged. */
  closing: () => boolean;
  onStored: (count: number) => void;
  /** Stop acknowledging while this many bytes wait in the journal. */
  maxJournalBytes: number;
  /** Most readings per store write. */
  maxReadingsPerWrite: number;
  logger: Logger;
}

/**
 * With a write-ahead journal: a message is acknowledged once its readings are fsynced in the journal,
 * and written to the store behind, in big writes (journal-writer.ts). Its batch stays open until then.
 * Opening it writes the entries a crash left, less what the store turned out to hold.
 */
export async function openJournalStage(params: JournalStageParameters): Promise<ReadingSink> {
  const { journal, clock } = params;
  let stopping = false;
  const writer = createJournalWriter({
    journal,
    write: (parts) => params.write(parts, () => stopping),
    onWritten: (entries) => {
      for (const entry of entries) {
        params.onStored(entry.seqs.length);
        clock.done(entry.batch);
      }
    },
    maxReadingsPerWrite: params.maxReadingsPerWrite,
  });

  for (const entry of journal.pendingEntries()) {
    const stillMissing = await params.dedupe.notStoredYet(entry.readings ?? [], () => false);
    journal.forget(entry, stillMissing, stillMissing.length > 0 ? params.encode(stillMissing) : undefined);
    clock.open(entry.batch);
  }
  if (journal.pendingEntries().length > 0) {
    params.logger.info({ entries: journal.pendingEntries().length }, 'writing journal entries left by the last run');
  }
  writer.kick();

  return {
    async take(part: JournalAppend, batch: number) {
      // Open until the entry is in the store: writtenThrough() must not pass the batch before.
      clock.open(batch);
      // Backpressure: while the store is behind by this much, stop acknowledging; the broker and the edge outboxes hold the rest.
      while (journal.pendingBytes() > params.maxJournalBytes) {
        if (params.closing()) {
          clock.done(batch);
          return false;
        }
        writer.kick();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      try {
        await journal.append(batch, part);
      } catch (error) {
        clock.done(batch);
        throw error;
      }
      params.dedupe.commit(part.encoded.device, part.seqs);
      writer.kick();
      return true;
    },
    async close() {
      // Write what the journal holds while the store answers; what is left waits for the next start.
      const deadline = Date.now() + 5000;
      while (journal.pendingEntries().length > 0 && Date.now() < deadline) {
        writer.kick();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      stopping = true;
      await writer.stop();
    },
  };
}
