/**
 * Which readings are stored already, by (device, seq): what the ingester asks before it takes a
 * reading (ingest/dedupe.ts). Adapters read the store's own points (store/influx-dedupe-index.ts,
 * store/memory-dedupe-index.ts), so the answer is the store's, whichever ingester wrote them.
 */
export interface DedupeIndex {
  /** The seq of every stored reading of `device` sampled in [fromMs, toMs] (both inclusive). */
  storedSequences(device: string, fromMs: number, toMs: number): Promise<Set<number>>;
  /** The highest stored sequence number of each device, to resume deduplication. */
  highestSequences(): Promise<Map<string, number>>;
}
