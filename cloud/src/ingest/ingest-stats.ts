import type { QingliuErrorCode } from '@qingliu/protocol';

/** Counters of what the ingester has done since it started. */
export interface IngestStats {
  /** Messages received (counted on arrival, before their checks end). */
  messages: number;
  /** Readings written to the store. */
  stored: number;
  /** Readings dropped because the same (device, seq) was already stored (a message of only such readings is also counted in `rejected.DUPLICATE`). */
  duplicates: number;
  /** Rejected messages by reason. */
  rejected: Partial<Record<QingliuErrorCode, number>>;
  /** Store writes that failed and were retried. */
  storeRetries: number;
}

export function emptyIngestStats(): IngestStats {
  return { messages: 0, stored: 0, duplicates: 0, rejected: {}, storeRetries: 0 };
}
