/**
 * Rollups of the `reading` measurement kept by InfluxDB itself: per series (the same tags as
 * `reading`) and step, the `sum`, `count`, `min` and `max` of `value`, so a coarser window is
 * `sum(sum) / sum(count)` (never a mean of means). Continuous queries keep them up to date and
 * fold in late readings within their `FOR` window; the store recomputes (backfills) any range it
 * writes readings into that is older than that (`backfillStatements`).
 */

export interface RollupLevel {
  /** 1m, 1h: the suffix of the measurement and the retention policy. */
  name: string;
  /** Bucket length, ms. */
  stepMs: number;
  /** The retention policy holding it (duration INF, like the raw readings). */
  retentionPolicy: string;
  /** Its shard group duration (InfluxQL duration). */
  shardDuration: string;
  measurement: string;
  /** The continuous query runs every this many ms (`RESAMPLE EVERY`). */
  everyMs: number;
  /** ...and recomputes the buckets of the last this many ms each time (`RESAMPLE ... FOR`): the lateness it folds in. */
  forMs: number;
}

/** Finest first. The 1 h level is computed from the 1 m level, the 1 m level from the raw readings. */
export const ROLLUP_LEVELS: readonly RollupLevel[] = [
  { name: '1m', stepMs: 60_000, retentionPolicy: 'rollup_1m', shardDuration: '7d', measurement: 'reading_1m', everyMs: 60_000, forMs: 3_600_000 },
  { name: '1h', stepMs: 3_600_000, retentionPolicy: 'rollup_1h', shardDuration: '52w', measurement: 'reading_1h', everyMs: 300_000, forMs: 3 * 3_600_000 },
];

/**
 * How long after its run time a continuous query's results are trusted to be written, ms
 * (influxd checks for due queries every second; a run over an hour of raw points takes well under this).
 */
export const CQ_GRACE_MS = 30_000;

const floorTo = (ms: number, step: number): number => Math.floor(ms / step) * step;
const ceilTo = (ms: number, step: number): number => Math.ceil(ms / step) * step;
const q = (name: string): string => `"${name}"`;
const durationText = (ms: number): string => (ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms}ms`);

/** Where level `index` reads from: the raw `reading` (default retention policy) or the next finer level. */
function sourceOf(database: string, rawMeasurement: string, index: number): string {
  if (index === 0) return `${q(database)}..${q(rawMeasurement)}`;
  const finer = ROLLUP_LEVELS[index - 1]!;
  return `${q(database)}.${q(finer.retentionPolicy)}.${q(finer.measurement)}`;
}

function target(database: string, level: RollupLevel): string {
  return `${q(database)}.${q(level.retentionPolicy)}.${q(level.measurement)}`;
}

/** The aggregating SELECT ... INTO of level `index` (no time condition: a continuous query adds its own). */
function selectInto(database: string, rawMeasurement: string, index: number, where: string): string {
  const fields =
    index === 0
      ? `sum("value") AS "sum", count("value") AS "count", min("value") AS "min", max("value") AS "max"`
      : `sum("sum") AS "sum", sum("count") AS "count", min("min") AS "min", max("max") AS "max"`;
  const level = ROLLUP_LEVELS[index]!;
  return (
    `SELECT ${fields} INTO ${target(database, level)} FROM ${sourceOf(database, rawMeasurement, index)}` +
    `${where ? ` WHERE ${where}` : ''} GROUP BY time(${durationText(level.stepMs)}), *`
  );
}

export function continuousQueryName(level: RollupLevel): string {
  return `${level.measurement}_cq`;
}

/** The retention policies (idempotent: InfluxDB accepts the same definition again). */
export function retentionPolicyStatements(database: string): string[] {
  return ROLLUP_LEVELS.map(
    (level) => `CREATE RETENTION POLICY ${q(level.retentionPolicy)} ON ${q(database)} DURATION INF REPLICATION 1 SHARD DURATION ${level.shardDuration}`,
  );
}

/**
 * The continuous queries, e.g. for 1 m:
 * `CREATE CONTINUOUS QUERY "reading_1m_cq" ON "qingliu" RESAMPLE EVERY 1m FOR 1h BEGIN SELECT sum("value") AS "sum", count("value") AS "count", min("value") AS "min", max("value") AS "max" INTO "qingliu"."rollup_1m"."reading_1m" FROM "qingliu".."reading" GROUP BY time(1m), * END`
 */
export function continuousQueryStatements(database: string, rawMeasurement: string): { name: string; statement: string }[] {
  return ROLLUP_LEVELS.map((level, index) => ({
    name: continuousQueryName(level),
    statement:
      `CREATE CONTINUOUS QUERY ${q(continuousQueryName(level))} ON ${q(database)} ` +
      `RESAMPLE EVERY ${durationText(level.everyMs)} FOR ${durationText(level.forMs)} BEGIN ${selectInto(database, rawMeasurement, index, '')} END`,
  }));
}

/** Parameters of a backfill: a time range (ms, `from` inclusive, `to` exclusive) and optionally the devices written. */
export interface BackfillRange {
  fromMs: number;
  toMs: number;
  /** Only these devices' series (ids already checked against the protocol's pattern); every series without. */
  devices?: readonly string[] | undefined;
}

/**
 * The statements that recompute every rollup bucket touching a range, finest level first (each
 * level reads the one before), to run in order. Buckets are overwritten whole: a point is the same
 * series and time, so running it twice or alongside a continuous query does no harm.
 */
export function backfillStatements(database: string, rawMeasurement: string, range: BackfillRange): string[] {
  const deviceFilter =
    range.devices && range.devices.length > 0 ? ` AND (${range.devices.map((d) => `"device" = '${d}'`).join(' OR ')})` : '';
  return ROLLUP_LEVELS.map((level, index) => {
    const from = floorTo(range.fromMs, level.stepMs);
    const to = Math.max(ceilTo(range.toMs, level.stepMs), from + level.stepMs);
    return selectInto(database, rawMeasurement, index, `time >= ${from}ms AND time < ${to}ms${deviceFilter}`);
  });
}

/**
 * How late a reading may reach the store and still count as on time, ms: the edge publishes
 * batches every few seconds. Queries read the buckets on-time readings may still change from the
 * finer level or the raw readings (`sealedUntil`). The store backfills every reading it writes
 * later than this itself, right after the write (however late: an outbox replaying an outage), so
 * its own late readings are in the rollups at once; the continuous queries' `FOR` windows fold in,
 * by their next run, readings up to that late written by anyone else.
 */
export const ARRIVAL_ALLOWANCE_MS = 60_000;

/**
 * The end (exclusive, ms) of the buckets of level `index` that its continuous query has finished
 * by `nowMs` for readings that arrived on time. A run at r (a multiple of `everyMs`, done by r +
 * `CQ_GRACE_MS`) writes every bucket ending by r; a bucket ending at e is final after the first run
 * at or after e + the arrival allowance, and for a level fed by a finer one, after that one's run
 * has finished too. Later buckets (the open interval) are read from the finer level or the raw readings.
 */
export function sealedUntil(index: number, nowMs: number): number {
  const level = ROLLUP_LEVELS[index]!;
  const lastRun = floorTo(nowMs - CQ_GRACE_MS, level.everyMs);
  const wait = index === 0 ? ARRIVAL_ALLOWANCE_MS : ARRIVAL_ALLOWANCE_MS + ROLLUP_LEVELS[index - 1]!.everyMs + CQ_GRACE_MS;
  return floorTo(lastRun - wait, level.stepMs);
}
