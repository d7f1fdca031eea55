import type { Hj212Code, Reading } from '@qingliu/protocol';

/** A reading as stored, with the settlement batch it was assigned on arrival. */
export interface StoredReading extends Reading {
  batch: number;
}

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
 * What a store's encoder module exports (`ReadingStore.encoderModule`): readings of one device
 * in the store's write form. Pure, and loadable by a worker thread (no connections, no state).
 */
export type ReadingEncoder = (readings: readonly StoredReading[]) => EncodedReadings;

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
 * The time-series port. The embedded adapter is InfluxDB 1.x over HTTP;
 * clustered InfluxDB slots in behind the same interface.
 */
export interface ReadingStore {
  /** Writes readings; resolves once the store has accepted all of them. */
  write(readings: readonly StoredReading[]): Promise<void>;
  /**
   * A module exporting `encodeReadings: ReadingEncoder`, which any thread can import: the write form
   * `writeEncoded` takes. The ingester's verify threads encode each good message with it.
   */
  readonly encoderModule: URL;
  /** Writes readings encoded by `encoderModule`; resolves once the store has accepted all of them. */
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
  /** The seq of every stored reading of `device` sampled in [fromMs, toMs] (both inclusive). */
  storedSequences(device: string, fromMs: number, toMs: number): Promise<Set<number>>;
  /** The highest stored sequence number of each device, to resume deduplication. */
  highestSequences(): Promise<Map<string, number>>;
  /** Readings in a range, oldest first. */
  queryReadings(query: ReadingQuery): Promise<StoredReading[]>;
  /** Mean, min, max and count per series and window of `everyMs`. */
  queryWindows(query: ReadingQuery & { everyMs: number }): Promise<ReadingWindow[]>;
  /** The mean per series and window of `everyMs` only (charts). */
  queryMeans(query: ReadingQuery & { everyMs: number }): Promise<ReadingMean[]>;
  close(): Promise<void>;
}
