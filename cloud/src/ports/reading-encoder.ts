import type { StoredReading } from './reading-store.js';

/**
 * One message's readings in a store's own write form, made ahead of the write, on any thread
 * (the ingester makes them on its verify threads, so its own thread only moves them along).
 */
export interface EncodedReadings {
  /** The write form (InfluxDB: line protocol, one line per reading). */
  text: string;
  count: number;
  /** The one device the readings are of, and their earliest and latest sample time (which rollups a late write touches). */
  device: string;
  fromMs: number;
  toMs: number;
}

/**
 * What a store's encoder module exports as `encodeReadings`: readings of one device in the
 * store's write form (what `ReadingStore.writeEncoded` takes). Pure, and loadable by a worker
 * thread (no connections, no state). The composition root picks the module with the store
 * adapter and hands its URL to the ingester, whose verify threads load it.
 */
export type ReadingEncoder = (readings: readonly StoredReading[]) => EncodedReadings;
