import type { Logger } from 'pino';
import type { EncodedReadings } from '../ports/reading-encoder.js';
import type { ReadingStore } from '../ports/reading-store.js';
import type { Dedupe } from './dedupe.js';
import type { JournalAppend } from './ingest-journal.js';

/** Calls `call` until it succeeds, waiting longer after each failure; rethrows its error once `abandon()` says so. */
export type Retry = <T>(what: string, call: () => Promise<T>, abandon: () => boolean) => Promise<T>;

export interface RetryParameters {
  /** First and longest wait between tries, milliseconds. */
  minMs: number;
  maxMs: number;
  logger: Logger;
  /** Called on each failure that is retried (the ingester counts them). */
  onRetry: () => void;
}

/** Retries with exponential backoff, logging each failure. */
export function createRetry(params: RetryParameters): Retry {
  return async (what, call, abandon) => {
    let delay = params.minMs;
    for (;;) {
      try {
        return await call();
      } catch (error) {
        if (abandon()) throw error;
        params.onRetry();
        params.logger.warn({ err: error, retryInMs: delay }, `could not ${what}; retrying`);
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, params.maxMs);
      }
    }
  };
}

/** Writes encoded readings to the store, retrying while it is down: true once written, false once `abandon()` (closing). */
export type StoreWrite = (parts: readonly EncodedReadings[], abandon: () => boolean) => Promise<boolean>;

export function storeWrite(store: ReadingStore, retry: Retry): StoreWrite {
  return (parts, abandon) => retry('store readings', () => store.writeEncoded(parts), abandon).then(() => true, () => false);
}

/** Where a message's new readings go: resolves true once they are safe (stored, or journaled) and the message may be acknowledged. */
export interface ReadingSink {
  take(part: JournalAppend, batch: number): Promise<boolean>;
  /** Writes what waits, while the store answers, and stops. */
  close(): Promise<void>;
}

export interface DirectWriteParameters {
  write: StoreWrite;
  dedupe: Pick<Dedupe, 'commit'>;
  /** True once the ingester is closing: a write still failing then is given up (the message stays unacknowledged). */
  closing: () => boolean;
  onStored: (count: number) => void;
}

/** Without a journal: each message waits for its own store write. */
export function directWrite(params: DirectWriteParameters): ReadingSink {
  return {
    async take(part) {
      // Until this resolves, the message stays unacknowledged: the broker keeps it.
      if (!(await params.write([part.encoded], params.closing))) return false;
      params.dedupe.commit(part.encoded.device, part.seqs);
      params.onStored(part.seqs.length);
      return true;
    },
    close: () => Promise.resolve(),
  };
}
