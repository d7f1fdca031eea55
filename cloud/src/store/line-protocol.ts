import type { StoredReading } from '../ports/reading-store.js';

/** Tag keys and values: commas, equals signs and spaces are escaped (InfluxDB line protocol). */
const escapeTag = (value: string): string => (/[,= \\]/.test(value) ? value.replace(/[,= \\]/g, (c) => `\\${c}`) : value);
/** String field values: double quotes and backslashes are escaped. */
const quoteField = (value: string): string => `"${/["\\]/.test(value) ? value.replace(/["\\]/g, (c) => `\\${c}`) : value}"`;

/** The series a reading's point is in: measurement and tags, sorted by key as InfluxDB keeps them. */
function seriesKey(measurement: string, r: StoredReading): string {
  return `${measurement},device=${escapeTag(r.device)},enterprise=${escapeTag(r.enterprise)},outfall=${escapeTag(r.outfall)},pollutant=${escapeTag(r.pollutant)}`;
}

/**
 * One reading as an InfluxDB line-protocol line (time in ms):
 * `reading,device=..,enterprise=..,outfall=..,pollutant=.. batch=<n>i,flag="N",seq=<n>i,unit="mg/L",value=<float> <ts>`
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
