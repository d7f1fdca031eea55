import type { DedupeIndex } from '../ports/dedupe-index.js';
import type { MemoryReadingStore } from './memory-store.js';

/** The dedupe index over a memory store's readings (memory-store.ts). */
export function createMemoryDedupeIndex(store: MemoryReadingStore): DedupeIndex {
  return {
    storedSequences(device, fromMs, toMs) {
      return Promise.resolve(new Set(store.readingsOf(device).filter((r) => r.ts >= fromMs && r.ts <= toMs).map((r) => r.seq)));
    },
    highestSequences() {
      return Promise.resolve(new Map(store.devices().map((device) => [device, Math.max(...store.readingsOf(device).map((r) => r.seq))])));
    },
  };
}
