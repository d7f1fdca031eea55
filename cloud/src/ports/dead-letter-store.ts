import type { QingliuErrorCode } from '@qingliu/protocol';

/** A message the ingester refused, kept with its reason as evidence. */
export interface DeadLetter {
  /** Why it was refused. */
  code: QingliuErrorCode;
  reason: string;
  topic: string;
  /** Milliseconds since the epoch, when it arrived. */
  receivedAt: number;
  /** Size of the whole payload, bytes. */
  size: number;
  /** SHA-256 of the whole payload, hex. */
  sha256: string;
  /** The payload (UTF-8), cut to the store's limit. */
  payload: string;
  truncated: boolean;
}

/** Where refused messages go. The file adapter writes JSON lines; others may follow. */
export interface DeadLetterStore {
  put(letter: DeadLetter): void;
  /** Resolves when what was put so far is written. */
  flush(): Promise<void>;
  close(): Promise<void>;
}
