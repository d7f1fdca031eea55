import type { EncodedReadings } from '../ports/reading-encoder.js';
import type { StoredReading } from '../ports/reading-store.js';

/** This module, for the ingester's verify threads to load (ports/reading-encoder.ts): the memory store's write form. */
export const MEMORY_ENCODER_MODULE = new URL(import.meta.url);

/** The memory store's encoder (ports/reading-encoder.ts): readings of one device as a JSON array. */
export function encodeReadings(readings: readonly StoredReading[]): EncodedReadings {
  const [first] = readings;
  if (first === undefined) throw new TypeError('encodeReadings: no readings');
  const other = readings.find((r) => r.device !== first.device);
  if (other) throw new TypeError(`encodeReadings: readings of ${first.device} and ${other.device} together`);
  const times = readings.map((r) => r.ts);
  return { text: JSON.stringify(readings), count: readings.length, device: first.device, fromMs: Math.min(...times), toMs: Math.max(...times) };
}
