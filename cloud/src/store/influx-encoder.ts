import type { EncodedReadings } from '../ports/reading-encoder.js';
import type { StoredReading } from '../ports/reading-store.js';
import { readingLine } from './line-protocol.js';

/** The InfluxDB measurement readings are written to (influx-store.ts documents its tags and fields). */
export const READING_MEASUREMENT = 'reading';

/** This module, for the ingester's verify threads to load (ports/reading-encoder.ts): the InfluxDB store's write form. */
export const INFLUX_ENCODER_MODULE = new URL(import.meta.url);

/**
 * The InfluxDB store's encoder (ports/reading-encoder.ts): readings of one device as line
 * protocol. Loaded by the ingester's verify threads, so it imports nothing but the line protocol.
 */
export function encodeReadings(readings: readonly StoredReading[]): EncodedReadings {
  if (readings.length === 0) throw new TypeError('encodeReadings: no readings');
  const device = readings[0]!.device;
  let fromMs = readings[0]!.ts;
  let toMs = fromMs;
  const lines = new Array<string>(readings.length);
  for (let i = 0; i < readings.length; i += 1) {
    const r = readings[i]!;
    if (r.device !== device) throw new TypeError(`encodeReadings: readings of ${device} and ${r.device} together`);
    if (r.ts < fromMs) fromMs = r.ts;
    if (r.ts > toMs) toMs = r.ts;
    lines[i] = readingLine(READING_MEASUREMENT, r);
  }
  return { text: lines.join('\n'), count: readings.length, device, fromMs, toMs };
}
