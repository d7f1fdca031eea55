import type { Hj212Code, Reading } from '@qingliu/protocol';
import type { EncodedReadings } from './reading-encoder.js';

/** A reading as stored, with the settlement batch it was assigned on arrival. */
export interface StoredReading extends Reading {
  batch: number;
}

/** Which readings to read: a time range (ms since the epoch, `from` inclusive, `to` exclusive) and optional filters. */
export interface ReadingQuery {
  enterprise?: string | undefined;
  outfall?: string | undefined;
  device?: string | undefined;
  pollutant?: Hj212Code | undefined;
  fromMs: number;
  toMs: number;
  /** Most rows returned. */
  limit: number;
}

/** One window of a downsampled series. */
export interface ReadingWindow {
  /** Start of the window, ms since the epoch. */
  ts: number;
  enterprise: string;
  outfall: string;
  device: string;
  pollutant: Hj212Code;
  /** The instance of `pollutant` (a reading's `channel`); absent for the device's primary instance. */
  channel?: string;
  mean: number;
  min: number;
  max: number;
  count: number;
}

/** One window's mean (what a chart draws): cheaper for the store than all four aggregates. */
export interface ReadingMean {
  /** Start of the window, ms since the epoch. */
  ts: number;
  enterprise: string;
  outfall: string;
  device: string;
  pollutant: Hj212Code;
  /** The instance of `pollutant` (a reading's `channel`); absent for the device's primary instance. */
  channel?: string;
  mean: number;
}

/**
 * The time-series port: write, read a batch, seal it, query. Adapters: InfluxDB 1.x over HTTP
 * (store/influx-store.ts; clustered InfluxDB slots in behind the same interface) and memory
 * (store/memory-store.ts), both held to store/reading-store.suite.ts. What the ingester also needs
 * of a store are ports of their own: the dedupe index (dedupe-index.ts) and the encoder module
 * (reading-encoder.ts).
 */
export interface ReadingStore {
  /** Writes readings; resolves once the store has accepted all of them. */
  write(readings: readonly StoredReading[]): Promise<void>;
  /**
   * Writes readings in this store's write form (made by its encoder module: ports/reading-encoder.ts);
   * resolves once the store has accepted all of them.
   */
  writeEncoded(parts: readonly EncodedReadings[]): Promise<void>;
  /**
   * Every reading of one settlement batch: those sealed in it, and those not sealed
   * in any batch whose last write named it. (Each reading names the batch it
   * arrived in; a copy that reached a second ingester later may be written again
   * naming a later batch, but once sealed a reading belongs to its batch for good.)
   */
  readBatch(batch: number): Promise<StoredReading[]>;
  /**
   * Seals readings (read with readBatch) in `batch`, before the batch is settled:
   * from then on they belong to it and to no other batch, whatever batch a later
   * write of the same reading names. Sealing a reading again in the same batch is a no-op.
   */
  sealBatch(batch: number, readings: readonly StoredReading[]): Promise<void>;
  /** Every batch number that has readings, ascending. */
  batches(): Promise<number[]>;
  /** Readings in a range, oldest first. */
  queryReadings(query: ReadingQuery): Promise<StoredReading[]>;
  /** Mean, min, max and count per series and window of `everyMs`. */
  queryWindows(query: ReadingQuery & { everyMs: number }): Promise<ReadingWindow[]>;
  /** The mean per series and window of `everyMs` only (charts). */
  queryMeans(query: ReadingQuery & { everyMs: number }): Promise<ReadingMean[]>;
  close(): Promise<void>;
}
