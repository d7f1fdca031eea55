/**
 * Reads the detection CSV (`ts,outfall,flow,cod,nh3n,ph[,tp,tn]`, any further
 * numeric columns are channels too) and splits it into a fitting part and a
 * detection part by file order.
 */
import type { OutfallSeries } from '../detectors/detector.js';
import { DetectionError } from '../detectors/detector.js';

export interface ReadingRow {
  readonly ts: number;
  readonly outfall: string;
  readonly values: readonly number[];
}

export interface ReadingsTable {
  /** Channel names, lower case, in column order. */
  readonly channels: readonly string[];
  /** Rows in file order. */
  readonly rows: readonly ReadingRow[];
}

/** A timestamp as ms since the epoch: digits are milliseconds, anything else goes to Date.parse (ISO 8601). */
export function parseTimestamp(text: string): number {
  const t = text.trim();
  const ms = /^-?\d+$/.test(t) ? Number(t) : Date.parse(t);
  return ms;
}

function parseValue(text: string | undefined): number {
  const t = (text ?? '').trim();
  if (t === '' || t.toUpperCase() === 'NA' || t.toUpperCase() === 'NAN') return Number.NaN;
  return Number(t);
}

export function parseReadingsCsv(text: string): ReadingsTable {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  const tsCol = header.indexOf('ts');
  const outCol = header.indexOf('outfall');
  if (tsCol < 0 || outCol < 0) throw new DetectionError('BAD_CSV', `line 1: the header needs ts and outfall columns, got "${lines[0] ?? ''}"`);
  const channelCols = header.map((_, i) => i).filter((i) => i !== tsCol && i !== outCol);
  if (channelCols.length === 0) throw new DetectionError('BAD_CSV', 'line 1: no value columns');
  const rows: ReadingRow[] = [];
  for (let n = 1; n < lines.length; n += 1) {
    const line = lines[n]!;
    if (line.trim() === '') continue;
    const cells = line.split(',');
    const ts = parseTimestamp(cells[tsCol] ?? '');
    if (!Number.isFinite(ts)) throw new DetectionError('BAD_CSV', `line ${n + 1}: bad ts "${cells[tsCol] ?? ''}"`);
    const outfall = (cells[outCol] ?? '').trim();
    if (outfall === '') throw new DetectionError('BAD_CSV', `line ${n + 1}: empty outfall`);
    const values = channelCols.map((c) => parseValue(cells[c]));
    const bad = values.findIndex((v, k) => Number.isNaN(v) && !/^\s*(|NA|NaN)\s*$/i.test(cells[channelCols[k]!] ?? ''));
    if (bad >= 0) throw new DetectionError('BAD_CSV', `line ${n + 1}: ${header[channelCols[bad]!]} is not a number: "${cells[channelCols[bad]!]}"`);
    rows.push({ ts, outfall, values });
  }
  return { channels: channelCols.map((c) => header[c]!), rows };
}

/** Groups rows into one series per outfall (in order of first appearance), each sorted by time. */
export function toSeries(table: ReadingsTable, from = 0, to = table.rows.length): OutfallSeries[] {
  const byOutfall = new Map<string, ReadingRow[]>();
  for (let i = from; i < to; i += 1) {
    const row = table.rows[i]!;
    let list = byOutfall.get(row.outfall);
    if (!list) byOutfall.set(row.outfall, (list = []));
    list.push(row);
  }
  return [...byOutfall].map(([outfall, rows]) => {
    const sorted = [...rows].sort((a, b) => a.ts - b.ts);
    const channels: Record<string, number[]> = {};
    table.channels.forEach((name, k) => (channels[name] = sorted.map((r) => r.values[k]!)));
    return { outfall, ts: sorted.map((r) => r.ts), channels };
  });
}

/** The fitting part (the first `fit` fraction of the rows, in file order) and the detection part (the rest). */
export function splitForFit(table: ReadingsTable, fit: number): { train: OutfallSeries[]; test: OutfallSeries[]; cut: number } {
  if (!(fit > 0 && fit < 1)) throw new DetectionError('BAD_OPTION', `--fit must be between 0 and 1 (exclusive), got ${fit}`);
  const cut = Math.floor(table.rows.length * fit);
  return { train: toSeries(table, 0, cut), test: toSeries(table, cut), cut };
}
