import type { StoredReading } from '../ports/reading-store.js';

/** Tag keys and values: commas, equals signs and spaces are escaped (InfluxDB line protocol). */
const escapeTag = (value: string): string => (/[,= \\]/.test(value) ? value.replace(/[,= \\]/g, (c) => `\\${c}`) : value);
/** String field values: double quotes and backslashes are escaped. */
const quoteField = (value: string): string => `"${/["\\]/.test(value) ? value.replace(/["\\]/g, (c) => `\\${c}`) : value}"`;

/**
 * The series a reading's point is in: measurement and tags, sorted by key as InfluxDB keeps them.
 * A reading with a `channel` (a device's second instance of a code) carries it as one more tag, so
 * the two instances are two series and never overwrite each other's points; a reading without one
 * is written exactly as before (the empty string adds nothing).
 */
function seriesKey(measurement: string, r: StoredReading): string {
  return `${measurement}${r.channel === undefined ? '' : `,channel=${escapeTag(r.channel)}`},device=${escapeTag(r.device)},enterprise=${escapeTag(r.enterprise)},outfall=${escapeTag(r.outfall)},pollutant=${escapeTag(r.pollutant)}`;
}

/**
 * One reading as an InfluxDB line-protocol line (time in ms):
 * `reading[,channel=..],device=..,enterprise=..,outfall=..,pollutant=.. batch=<n>i,flag="N",seq=<n>i,unit="mg/L",value=<float> <ts>`
 * `value` is always a float (a whole number is written without the `i` suffix).
 */
export function readingLine(measurement: string, r: StoredReading): string {
  if (!Number.isFinite(r.value)) throw new TypeError(`reading ${r.device}/${r.seq}: value is not finite`);
  return (
    `${seriesKey(measurement, r)} batch=${Math.trunc(r.batch)}i,flag=${quoteField(r.flag)},seq=${Math.trunc(r.seq)}i,` +
    `unit=${quoteField(r.unit)},value=${String(r.value)} ${Math.trunc(r.ts)}`
  );
}

/** The seal of a reading in a settlement batch: the same point, one field (`sealed=<batch>i`), merged into it. */
export function sealLine(measurement: string, r: StoredReading, batch: number): string {
  return `${seriesKey(measurement, r)} sealed=${Math.trunc(batch)}i ${Math.trunc(r.ts)}`;
}
