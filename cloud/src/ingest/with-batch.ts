import type { Reading } from '@qingliu/protocol';
import type { StoredReading } from '../ports/reading-store.js';

/**
 * The readings, given their settlement batch in place. Only for the ingester's own objects, parsed
 * from one message for this one use: copying each instead costs half a microsecond a reading, on the
 * path every reading takes.
 */
export function withBatch(readings: Reading[], batch: number): StoredReading[] {
  for (const r of readings) (r as StoredReading).batch = batch;
  return readings as StoredReading[];
}
