import type { Reading } from '@qingliu/protocol';

/** A reading as stored, with the settlement batch it was assigned on arrival. */
export interface StoredReading extends Reading {
  batch: number;
}

/**
 * The time-series port. The embedded adapter is InfluxDB 1.x over HTTP;
 * clustered InfluxDB slots in behind the same interface.
 */
export interface ReadingStore {
  /** Writes readings; resolves once the store has accepted all of them. */
  write(readings: readonly StoredReading[]): Promise<void>;
  /** Every reading assigned to one settlement batch. */
  readBatch(batch: number): Promise<StoredReading[]>;
  /** Every batch number that has readings, ascending. */
  batches(): Promise<number[]>;
  /** The highest stored sequence number of each device, to resume deduplication. */
  highestSequences(): Promise<Map<string, number>>;
  close(): Promise<void>;
}
