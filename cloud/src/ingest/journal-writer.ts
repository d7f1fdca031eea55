import type { EncodedReadings } from '../ports/reading-encoder.js';
import type { IngestJournal, JournalEntry } from './ingest-journal.js';

export interface JournalWriterParameters {
  journal: IngestJournal;
  /** Writes to the store, retrying until done; false once the ingester is closing. */
  write: (parts: EncodedReadings[]) => Promise<boolean>;
  /** Called with the entries the store now holds (committed in the journal). */
  onWritten: (entries: JournalEntry[]) => void;
  /** Most readings per store write. */
  maxReadingsPerWrite: number;
}

export interface JournalWriter {
  /** Starts writing what waits in the journal, if not already writing. */
  kick(): void;
  /** Resolves when the current write loop ends. */
  stop(): Promise<void>;
}

/** Moves journal entries into the store in big writes, oldest first, one write at a time. */
export function createJournalWriter(params: JournalWriterParameters): JournalWriter {
  const { journal } = params;
  let running: Promise<void> | undefined;
  let stopped = false;

  async function loop(): Promise<void> {
    while (!stopped) {
      const entries = journal.peek(params.maxReadingsPerWrite);
      if (entries.length === 0) return;
      // Encoded with their entry's batch; an entry left empty after a crash has nothing to write.
      const parts = entries.flatMap((entry) => (entry.encoded ? [entry.encoded] : []));
      if (!(await params.write(parts))) return;
      params.onWritten(await journal.commit(entries[entries.length - 1]!.id));
    }
  }

  return {
    kick() {
      running ??= loop().finally(() => {
        running = undefined;
        if (!stopped && journal.pendingEntries().length > 0) this.kick();
      });
    },
    async stop() {
      stopped = true;
      await running;
    },
  };
}
