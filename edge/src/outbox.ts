import type { Reading } from '@qingliu/protocol';

/**
 * The edge outbox port (store-and-forward): readings wait here from the poll
 * until the broker acknowledged them. Per device, readings leave in the order
 * they came (by seq).
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
  close(): Promise<void>;
}
