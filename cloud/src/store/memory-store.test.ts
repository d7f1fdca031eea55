/** The reading store's contract (reading-store.suite.ts) against the memory store. */
import { createMemoryDedupeIndex } from './memory-dedupe-index.js';
import { encodeReadings } from './memory-encoder.js';
import { createMemoryStore } from './memory-store.js';
import { describeReadingStore } from './reading-store.suite.js';

describeReadingStore('memory', () => {
  const store = createMemoryStore();
  return Promise.resolve({ store, dedupeIndex: createMemoryDedupeIndex(store), encode: encodeReadings, views: [], settle: () => Promise.resolve() });
});
