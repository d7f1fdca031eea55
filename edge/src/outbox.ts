import type { Reading } from '@qingliu/protocol';

/** How full an outbox is. */
export interface OutboxUsage {
  /** Readings waiting, all devices. */
  readings: number;
  /** Bytes the outbox takes (on disk for the disk outbox; the readings' JSON for the memory outbox). */
  bytes: number;
  /** The bound on `bytes`. */
  maxBytes: number;
  /** Readings refused since the outbox was opened because it was full. */
  refused: number;
}

/**
 * The edge outbox port (store-and-forward): readings wait here from the poll
 * until the broker acknowledged them. Per device, readings leave in the order
 * they came (by seq).
 *
 * Full policy (every implementation): an `append` that would take the outbox
 * past its `maxBytes` stores none of its readings, counts them in
 * `usage().refused` and rejects with QingliuError('STORE_UNAVAILABLE',
 * retryable). Readings already held are never evicted.
 */
export interface Outbox {
  /** Resolves when the readings are held (durably, for a disk outbox). */
  append(readings: readonly Reading[]): Promise<void>;
  /** Up to `max` of the device's oldest waiting readings, without removing them. */
  peek(device: string, max: number): Promise<Reading[]>;
  /** Removes the device's readings with seq <= `throughSeq` (acknowledged). */
  ack(device: string, throughSeq: number): Promise<void>;
  /** Devices with readings waiting. */
  devices(): string[];
  /** Readings waiting, all devices. */
  size(): number;
  usage(): OutboxUsage;
  close(): Promise<void>;
}

/** The error an outbox rejects an append with when it is full. */
export const OUTBOX_FULL_REASON = 'outbox full';
