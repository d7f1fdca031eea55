/**
 * Reads the GECCO Industrial Challenge 2018 water-quality file (gzip CSV,
 * /work/shared/datasets/gecco2018) into the detection CSV and a labels CSV.
 *
 * - `Time` is German local time: CEST (UTC+2) until the 2016-10-30 change,
 *   CET (UTC+1) after it. The change shows as the clock going back an hour in
 *   file order; from that row on the offset is one hour.
 * - Columns become channels: Tp -> temp (not to be read as TP, total
 *   phosphorus), pH -> ph, the others lower-cased; NA stays empty.
 * - Consecutive EVENT=TRUE rows make one label [first row, last row + 1 min).
 */
import { gunzipSync } from 'node:zlib';
import { DetectionError } from '../detectors/detector.js';

export const GECCO_OUTFALL = 'gecco';
const CHANNEL_NAMES: Record<string, string> = { Tp: 'temp', pH: 'ph' };
const MINUTE = 60_000;

export interface GeccoTables {
  /** Detection CSV: ts (ISO UTC), outfall, channels. */
  readonly readingsCsv: string;
  /** Labels CSV: outfall,kind,start,end. */
  readonly labelsCsv: string;
  readonly rows: number;
  readonly eventRows: number;
}

const unquote = (s: string): string => s.trim().replace(/^"(.*)"$/, '$1');

/** Local "YYYY-MM-DD HH:MM:SS" with a UTC offset in hours, as ms since the epoch. */
function localToUtc(local: string, offsetHours: number): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(local);
  if (!m) return Number.NaN;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) - offsetHours * 3_600_000;
}

export function geccoToTables(gzipped: Uint8Array): GeccoTables {
  const lines = gunzipSync(gzipped).toString('utf8').split(/\r?\n/);
  const header = lines[0]!.split(',').map(unquote);
  const timeCol = header.indexOf('Time');
  const eventCol = header.indexOf('EVENT');
  if (timeCol < 0 || eventCol < 0) throw new DetectionError('BAD_CSV', `GECCO header needs Time and EVENT, got "${lines[0]}"`);
  const valueCols = header.map((_, i) => i).filter((i) => i !== timeCol && i !== eventCol && header[i] !== '');
  const out = [`ts,outfall,${valueCols.map((i) => CHANNEL_NAMES[header[i]!] ?? header[i]!.toLowerCase()).join(',')}`];
  const labels = ['outfall,kind,start,end'];
  let offset = 2;
  let prevLocal = Number.NEGATIVE_INFINITY;
  let eventStart = -1;
  let lastTs = 0;
  let rows = 0;
  let eventRows = 0;
  const closeEvent = (): void => {
    if (eventStart >= 0) labels.push(`${GECCO_OUTFALL},event,${new Date(eventStart).toISOString()},${new Date(lastTs + MINUTE).toISOString()}`);
    eventStart = -1;
  };
  for (let n = 1; n < lines.length; n += 1) {
    if (lines[n]!.trim() === '') continue;
    const cells = lines[n]!.split(',');
    const localMs = localToUtc(unquote(cells[timeCol] ?? ''), 0);
    if (!Number.isFinite(localMs)) throw new DetectionError('BAD_CSV', `GECCO line ${n + 1}: bad Time "${cells[timeCol]}"`);
    if (localMs <= prevLocal && offset === 2) offset = 1; // the clock went back: winter time
    prevLocal = localMs;
    const ts = localMs - offset * 3_600_000;
    const event = unquote(cells[eventCol] ?? '').toUpperCase() === 'TRUE';
    if (event) {
      eventRows += 1;
      if (eventStart < 0) eventStart = ts;
    } else closeEvent();
    lastTs = ts;
    const values = valueCols.map((i) => {
      const v = unquote(cells[i] ?? '');
      return v === 'NA' ? '' : v;
    });
    out.push(`${new Date(ts).toISOString()},${GECCO_OUTFALL},${values.join(',')}`);
    rows += 1;
  }
  closeEvent();
  return { readingsCsv: `${out.join('\n')}\n`, labelsCsv: `${labels.join('\n')}\n`, rows, eventRows };
}
