import { QingliuError, idSchema } from '@qingliu/protocol';
import type { Hj212Code } from '@qingliu/protocol';
import type { ReadingQuery } from '../ports/reading-store.js';
import { ROLLUP_LEVELS, sealedUntil } from './rollup-levels.js';

/**
 * Windowed queries over the rollups (rollup-levels.ts): a range is cut into pieces, each read
 * from the coarsest source that holds it whole (the coarsest rollup whose step divides the window
 * for the sealed, aligned middle; finer rollups and then the raw readings for the partial buckets
 * at the edges and the open interval at the end), and the pieces' sums, counts, minima and maxima
 * are folded into the windows. InfluxDB aggregates inside each piece; only the few windows a piece
 * boundary cuts are combined here.
 */

/** One part of a range and where it is read from: `level` indexes ROLLUP_LEVELS, -1 is the raw readings. */
export interface QueryPiece {
  level: number;
  fromMs: number;
  toMs: number;
}

/**
 * Rows of a rollup read as they are (no GROUP BY time) and folded here when the window is at most
 * this many buckets: InfluxDB 1.6 returns a stored row in about half the time it takes to make a window.
 */
const MAX_BUCKETS_FOLDED_HERE = 4;

const floorTo = (ms: number, step: number): number => Math.floor(ms / step) * step;
const ceilTo = (ms: number, step: number): number => Math.ceil(ms / step) * step;

/**
 * The pieces of [fromMs, toMs) for windows of `everyMs` at `nowMs`, oldest first; undefined when
 * no rollup's step divides the window (read the raw readings as before).
 */
export function planPieces(fromMs: number, toMs: number, everyMs: number, nowMs: number): QueryPiece[] | undefined {
  let coarsest = -1;
  ROLLUP_LEVELS.forEach((level, index) => {
    if (everyMs % level.stepMs === 0) coarsest = index;
  });
  if (coarsest < 0) return undefined;
  const plan = (index: number, from: number, to: number): QueryPiece[] => {
    if (from >= to) return [];
    if (index < 0) return [{ level: -1, fromMs: from, toMs: to }];
    const step = ROLLUP_LEVELS[index]!.stepMs;
    if (everyMs % step !== 0) return plan(index - 1, from, to);
    const lo = ceilTo(from, step);
    const hi = Math.min(floorTo(to, step), sealedUntil(index, nowMs));
    if (lo >= hi) return plan(index - 1, from, to);
    return [...plan(index - 1, from, lo), { level: index, fromMs: lo, toMs: hi }, ...plan(index - 1, hi, to)];
  };
  return plan(coarsest, fromMs, toMs);
}

/** InfluxQL conditions for a query; ids are checked against the protocol's id pattern first, so they need no escaping. */
export function whereClause(query: Omit<ReadingQuery, 'limit'> & { limit?: number }): string {
  const conditions = [`time >= ${Math.trunc(query.fromMs)}ms`, `time < ${Math.trunc(query.toMs)}ms`];
  for (const tag of ['enterprise', 'outfall', 'device', 'pollutant'] as const) {
    const value = query[tag];
    if (value === undefined) continue;
    if (!idSchema.safeParse(value).success) throw new QingliuError('SCHEMA_INVALID', `bad ${tag}: ${value}`);
    conditions.push(`"${tag}" = '${value}'`);
  }
  return conditions.join(' AND ');
}

/** A series' tags; `channel` is '' on a device's primary instance of a code (a series without the tag). */
const SERIES_TAGS = `"enterprise", "outfall", "device", "pollutant", "channel"`;

/** The InfluxQL of one piece: sum and count per window (and min and max with `extremes`). */
export function pieceStatement(
  database: string,
  rawMeasurement: string,
  piece: QueryPiece,
  query: ReadingQuery & { everyMs: number },
  extremes: boolean,
): string {
  const where = whereClause({ ...query, fromMs: piece.fromMs, toMs: piece.toMs });
  const limit = Math.trunc(query.limit);
  if (piece.level < 0) {
    const fields = `sum("value") AS "sum", count("value") AS "count"${extremes ? `, min("value") AS "min", max("value") AS "max"` : ''}`;
    return `SELECT ${fields} FROM "${database}".."${rawMeasurement}" WHERE ${where} GROUP BY time(${Math.trunc(query.everyMs)}ms), ${SERIES_TAGS} fill(none) LIMIT ${limit}`;
  }
  const level = ROLLUP_LEVELS[piece.level]!;
  const from = `"${database}"."${level.retentionPolicy}"."${level.measurement}"`;
  const buckets = query.everyMs / level.stepMs;
  if (buckets <= MAX_BUCKETS_FOLDED_HERE) {
    return `SELECT "sum", "count"${extremes ? `, "min", "max"` : ''} FROM ${from} WHERE ${where} GROUP BY ${SERIES_TAGS} LIMIT ${limit * buckets}`;
  }
  const fields = `sum("sum") AS "sum", sum("count") AS "count"${extremes ? `, min("min") AS "min", max("max") AS "max"` : ''}`;
  return `SELECT ${fields} FROM ${from} WHERE ${where} GROUP BY time(${Math.trunc(query.everyMs)}ms), ${SERIES_TAGS} fill(none) LIMIT ${limit}`;
}

/** One statement's answer from InfluxDB's /query with epoch=ms. */
export interface InfluxResult {
  error?: string;
  series?: { name?: string; tags?: Record<string, string>; columns: string[]; values?: (number | string | null)[][] }[];
}

/** A window being folded: sum and count, and min and max when asked for. */
interface Partial {
  ts: number;
  sum: number;
  count: number;
  min: number;
  max: number;
}

export interface FoldedSeries {
  enterprise: string;
  outfall: string;
  device: string;
  pollutant: Hj212Code;
  /** Absent on a device's primary instance of the code. */
  channel?: string;
  windows: Partial[];
}

/**
 * Folds the pieces' answers (in the order of the pieces, oldest first) into windows of `everyMs`
 * per series, at most `limit` per series, series in InfluxDB's order (by tag values in key order).
 */
export function foldPieces(results: readonly InfluxResult[], everyMs: number, limit: number): FoldedSeries[] {
  const bySeries = new Map<string, FoldedSeries>();
  for (const result of results) {
    for (const series of result.series ?? []) {
      const { enterprise = '', outfall = '', device = '', pollutant = '', channel = '' } = series.tags ?? {};
      const key = `${device}\u0000${enterprise}\u0000${outfall}\u0000${pollutant}\u0000${channel}`;
      let folded = bySeries.get(key);
      if (!folded) {
        folded = { enterprise, outfall, device, pollutant: pollutant as Hj212Code, ...(channel === '' ? {} : { channel }), windows: [] };
        bySeries.set(key, folded);
      }
      const col = (name: string): number => series.columns.indexOf(name);
      const [iTime, iSum, iCount, iMin, iMax] = [col('time'), col('sum'), col('count'), col('min'), col('max')];
      const windows = folded.windows;
      for (const row of series.values ?? []) {
        const count = Number(row[iCount]);
        if (!(count > 0)) continue;
        const ts = floorTo(Number(row[iTime]), everyMs);
        const sum = Number(row[iSum]);
        const min = iMin < 0 ? NaN : Number(row[iMin]);
        const max = iMax < 0 ? NaN : Number(row[iMax]);
        const last = windows[windows.length - 1];
        if (last !== undefined && last.ts === ts) {
          last.sum += sum;
          last.count += count;
          if (min < last.min) last.min = min;
          if (max > last.max) last.max = max;
        } else {
          windows.push({ ts, sum, count, min, max });
        }
      }
    }
  }
  const keys = [...bySeries.keys()].sort();
  return keys.map((key) => {
    const folded = bySeries.get(key)!;
    if (folded.windows.length > limit) folded.windows.length = Math.max(0, Math.trunc(limit));
    return folded;
  });
}
