import { FieldType } from 'influx';
import { createInfluxConnection } from './influx-connection.js';
import { QingliuError, idSchema, isHj212Code } from '@qingliu/protocol';
import type { Hj212Code, QualityFlag } from '@qingliu/protocol';
import type { EncodedReadings } from '../ports/reading-encoder.js';
import type { ReadingMean, ReadingQuery, ReadingStore, ReadingWindow, StoredReading } from '../ports/reading-store.js';
import { readingLine, sealLine } from './line-protocol.js';
import { READING_MEASUREMENT } from './influx-encoder.js';
import { ARRIVAL_ALLOWANCE_MS, backfillStatements } from './rollup-levels.js';
import { ensureRollups } from './rollup-setup.js';
import type { BackfillRange } from './rollup-levels.js';
import { foldPieces, pieceStatement, planPieces, whereClause } from './rollup-query.js';
import type { InfluxResult } from './rollup-query.js';

/**
 * Readings in InfluxDB 1.x: measurement `reading`; tags enterprise, outfall,
 * device, pollutant and, on a device's second instance of a code, channel
 * (bounded sets: the series count is devices x pollutants x instances);
 * fields value, seq, flag, unit, batch (unbounded or per-reading values stay
 * out of the tags). Time in milliseconds. A reading written twice lands on
 * the same point (same series and time), so a retried write cannot duplicate it.
 */
export { READING_MEASUREMENT };

export interface InfluxStoreParameters {
  /** e.g. http://127.0.0.1:8086 */
  url: string;
  database: string;
  /** Per-request timeout, milliseconds. */
  timeoutMs?: number;
  /**
   * Keep rollups (1 m and 1 h sums, counts, minima, maxima: rollup-levels.ts) and read windowed
   * queries from them (default true). False reads the raw readings only and creates nothing.
   */
  rollups?: boolean;
  /** The wall clock, ms since the epoch (default Date.now): which readings are late, which buckets are sealed. */
  clock?: () => number;
}

/** The InfluxDB reading store: the port, and the rollups' backfill for operators and tests. */
export interface InfluxReadingStore extends ReadingStore {
  /**
   * Recomputes every rollup bucket touching a range (of some devices, or all) from the raw readings.
   * The store runs it itself, behind the writes of late readings; an operator runs it after readings older
   * than the continuous queries reach were written to InfluxDB some other way.
   */
  rebuildRollups(range: BackfillRange): Promise<void>;
  /** Resolves once the rollup buckets of every late reading written so far are rebuilt. */
  flushRollups(): Promise<void>;
}

export async function createInfluxStore(params: InfluxStoreParameters): Promise<InfluxReadingStore> {
  // Retries belong to the ingester (with backpressure), not hidden inside the client.
  const connection = createInfluxConnection(params, [
    {
      measurement: READING_MEASUREMENT,
      tags: ['enterprise', 'outfall', 'device', 'pollutant', 'channel'],
      fields: {
        value: FieldType.FLOAT,
        seq: FieldType.INTEGER,
        flag: FieldType.STRING,
        unit: FieldType.STRING,
        batch: FieldType.INTEGER,
        sealed: FieldType.INTEGER,
      },
    },
  ]);
  const { influx, unavailable } = connection;
  const timeoutMs = params.timeoutMs ?? 10_000;
  const writeUrl = new URL('/write', params.url);
  writeUrl.searchParams.set('db', params.database);
  writeUrl.searchParams.set('precision', 'ms');
  const rollups = params.rollups ?? true;
  const clock = params.clock ?? Date.now;

  /** Statements run in order in one request (POST: SELECT ... INTO and CREATE need it); each statement's result. */
  const run = async (statements: readonly string[], what = 'query'): Promise<InfluxResult[]> => {
    const form = new URLSearchParams({ db: params.database, epoch: 'ms', q: statements.join(';\n') });
    let body: { results?: InfluxResult[]; error?: string };
    try {
      const response = await fetch(new URL('/query', params.url), { method: 'POST', body: form, signal: AbortSignal.timeout(timeoutMs) });
      body = (await response.json()) as typeof body;
    } catch (cause) {
      throw unavailable(what, cause);
    }
    const error = body.error ?? body.results?.find((r) => r.error)?.error;
    if (error) throw unavailable(what, new Error(error));
    return body.results ?? [];
  };

  // Backfills run one at a time, in the order of the writes that asked for them: a later backfill
  // of the same buckets reads everything the earlier one did, so the last write to a bucket is right.
  let backfills: Promise<unknown> = Promise.resolve();
  const rebuildRollups = async (range: BackfillRange): Promise<void> => {
    for (const device of range.devices ?? []) {
      if (!idSchema.safeParse(device).success) throw new QingliuError('SCHEMA_INVALID', `bad device: ${device}`);
    }
    const job = backfills.then(() => run(backfillStatements(params.database, READING_MEASUREMENT, range), 'rollup backfill'));
    backfills = job.catch(() => undefined);
    await job;
  };

  // The database and the rollups are made on first use, so the store can be created while InfluxDB is down.
  let created = false;
  const ensureDatabase = async (): Promise<void> => {
    if (created) return;
    await connection.ensureDatabase();
    if (rollups) await ensureRollups({ database: params.database, rawMeasurement: READING_MEASUREMENT, run, rebuild: rebuildRollups });
    created = true;
  };

  /**
   * Late readings (rollup-levels.ts, ARRIVAL_ALLOWANCE_MS) leave their rollup buckets to be rebuilt, so no
   * bucket a query trusts misses them (a continuous query may have passed over it already). The rebuild
   * runs behind the write, not in it: an outbox replay after an outage is all late readings, and the
   * ingester must keep its pace then most of all. Ranges wait merged per device; one worker rebuilds
   * them, retrying with backoff while InfluxDB is down. The rollups are a cache of the raw readings: a
   * process that stops with ranges still waiting leaves those buckets stale until `rebuildRollups`.
   */
  const waiting = new Map<string, { fromMs: number; toMs: number }[]>();
  let worker: Promise<void> | undefined;
  let backfillFailures = 0;
  let closed = false;
  /** The span being rebuilt now (out of `waiting`, not yet in the rollups). */
  let rebuilding: { fromMs: number; toMs: number } | undefined;
  /** Leaves the buckets of a device's readings sampled in [fromMs, toMs] (inclusive) to be rebuilt, if any is late. */
  const queueLate = (device: string, fromMs: number, toMs: number): void => {
    const horizon = clock() - ARRIVAL_ALLOWANCE_MS;
    if (fromMs >= horizon) return;
    const to = Math.min(toMs + 1, horizon);
    const spans = waiting.get(device) ?? [];
    waiting.set(device, spans);
    // Times within an hour of a waiting span join it: one rebuild covers them.
    const near = spans.find((sp) => fromMs < sp.toMs + 3_600_000 && to > sp.fromMs - 3_600_000);
    if (near) {
      near.fromMs = Math.min(near.fromMs, fromMs);
      near.toMs = Math.max(near.toMs, to);
    } else spans.push({ fromMs, toMs: to });
    worker ??= drain().finally(() => (worker = undefined));
  };
  const drain = async (): Promise<void> => {
    while (waiting.size > 0 && !closed) {
      const [device, spans] = waiting.entries().next().value as [string, { fromMs: number; toMs: number }[]];
      const span = spans.shift()!;
      if (spans.length === 0) waiting.delete(device);
      rebuilding = span;
      try {
        await rebuildRollups({ ...span, devices: [device] });
        backfillFailures = 0;
      } catch {
        backfillFailures += 1;
        const again = waiting.get(device) ?? [];
        again.push(span);
        waiting.set(device, again);
        if (closed) return;
        await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 250 * 2 ** Math.min(backfillFailures, 7))).unref());
      } finally {
        rebuilding = undefined;
      }
    }
  };

  /** Windows from the rollups where they hold the range (rollup-query.ts); undefined when none can. */
  const rolledUpWindows = async (query: ReadingQuery & { everyMs: number }, extremes: boolean) => {
    if (!rollups) return undefined;
    // Read what this store wrote: late readings in the range wait for their buckets' rebuild first.
    const touches = (sp: { fromMs: number; toMs: number }): boolean => sp.fromMs - 3_600_000 < query.toMs && sp.toMs + 3_600_000 > query.fromMs;
    const pending = (): boolean => (rebuilding !== undefined && touches(rebuilding)) || [...waiting.values()].some((spans) => spans.some(touches));
    // Bounded: a rebuild still waiting after a moment sends the query to the raw readings (slower, never stale).
    const until = Date.now() + 2000;
    while (worker && pending() && Date.now() < until) await Promise.race([worker, new Promise((resolve) => setTimeout(resolve, 100).unref())]);
    if (worker && pending()) return undefined;
    const pieces = planPieces(query.fromMs, query.toMs, query.everyMs, clock());
    if (!pieces) return undefined;
    const statements = pieces.map((piece) => pieceStatement(params.database, READING_MEASUREMENT, piece, query, extremes));
    return foldPieces(await run(statements), query.everyMs, query.limit);
  };

  /** Posts line protocol to /write; 4xx: InfluxDB refused the points (not retryable), else try again. */
  const post = async (body: string): Promise<void> => {
    let response: Response;
    try {
      response = await fetch(writeUrl, { method: 'POST', body, signal: AbortSignal.timeout(timeoutMs) });
    } catch (cause) {
      throw unavailable('write', cause);
    }
    if (response.status !== 204) {
      const text = await response.text().catch(() => '');
      throw new QingliuError(response.status >= 500 ? 'STORE_UNAVAILABLE' : 'SCHEMA_INVALID', `InfluxDB at ${params.url}: write answered ${response.status}`, {
        retryable: response.status >= 500,
        details: text.slice(0, 500),
      });
    }
  };

  const writeEncoded = async (parts: readonly EncodedReadings[]): Promise<void> => {
    if (parts.length === 0) return;
    await ensureDatabase();
    // Line protocol written by us (influx-encoder.ts) and posted with fetch: node-influx's point
    // formatting cost more than InfluxDB's own parsing (bench/ingest-pipeline); queries stay on node-influx.
    await post(parts.map((part) => part.text).join('\n'));
    if (rollups) for (const part of parts) queueLate(part.device, part.fromMs, part.toMs);
  };

  return {
    async write(readings) {
      if (readings.length === 0) return;
      await ensureDatabase();
      await post(readings.map((r) => readingLine(READING_MEASUREMENT, r)).join('\n'));
      if (rollups) for (const r of readings) queueLate(r.device, r.ts, r.ts);
    },

    writeEncoded,

    async sealBatch(batch, readings) {
      if (readings.length === 0) return;
      await ensureDatabase();
      // The seal is one more field on the same points (InfluxDB merges the field sets); values are untouched.
      await post(readings.map((r) => sealLine(READING_MEASUREMENT, r, batch)).join('\n'));
    },

    async flushRollups() {
      while (worker) await worker;
    },

    rebuildRollups: async (range) => {
      await ensureDatabase();
      await rebuildRollups(range);
    },

    async readBatch(batch) {
      await ensureDatabase();
      let rows: Record<string, unknown>[];
      try {
        const b = Math.trunc(batch);
        rows = await influx.query(`SELECT * FROM ${READING_MEASUREMENT} WHERE batch = ${b} OR sealed = ${b}`, { precision: 'ms' });
      } catch (cause) {
        throw unavailable('query', cause);
      }
      // Sealed in this batch, or not sealed and last written naming it (see the port and rowToReading).
      return rows.map(rowToReading).filter((r) => r.batch === batch);
    },

    async batches() {
      await ensureDatabase();
      let rows: Record<string, unknown>[];
      try {
        // A batch whose readings were all written again naming a later one is still a batch: its seals say so.
        const [named, sealed] = (await influx.query([
          `SELECT DISTINCT(batch) AS batch FROM ${READING_MEASUREMENT}`,
          `SELECT DISTINCT(sealed) AS batch FROM ${READING_MEASUREMENT}`,
        ])) as unknown as Record<string, unknown>[][];
        rows = [...(named ?? []), ...(sealed ?? [])];
      } catch (cause) {
        throw unavailable('query', cause);
      }
      return [...new Set(rows.map((row) => Number(row.batch)))].sort((a, b) => a - b);
    },

    async queryReadings(query) {
      await ensureDatabase();
      try {
        const rows = await influx.query(
          `SELECT * FROM ${READING_MEASUREMENT} WHERE ${whereClause(query)} ORDER BY time ASC LIMIT ${Math.trunc(query.limit)}`,
          { precision: 'ms' },
        );
        return rows.map((row) => rowToReading(row as Record<string, unknown>));
      } catch (cause) {
        throw unavailable('query', cause);
      }
    },

    async queryWindows(query) {
      await ensureDatabase();
      const folded = await rolledUpWindows(query, true);
      if (folded) {
        const out: ReadingWindow[] = [];
        for (const { enterprise, outfall, device, pollutant, channel, windows } of folded) {
          const instance = channel === undefined ? {} : { channel };
          for (const w of windows) out.push({ ts: w.ts, enterprise, outfall, device, pollutant, ...instance, mean: w.sum / w.count, min: w.min, max: w.max, count: w.count });
        }
        return out;
      }
      let rows: Record<string, unknown>[];
      try {
        rows = await influx.query(
          `SELECT MEAN(value) AS mean, MIN(value) AS min, MAX(value) AS max, COUNT(value) AS count FROM ${READING_MEASUREMENT} ` +
            `WHERE ${whereClause(query)} GROUP BY time(${Math.trunc(query.everyMs)}ms), enterprise, outfall, device, pollutant, channel ` +
            `fill(none) LIMIT ${Math.trunc(query.limit)}`,
          { precision: 'ms' },
        );
      } catch (cause) {
        throw unavailable('query', cause);
      }
      return rows.map((row) => ({
        ts: (row.time as { getTime(): number }).getTime(),
        enterprise: String(row.enterprise),
        outfall: String(row.outfall),
        device: String(row.device),
        pollutant: String(row.pollutant) as Hj212Code,
        ...channelOf(row.channel),
        mean: Number(row.mean),
        min: Number(row.min),
        max: Number(row.max),
        count: Number(row.count),
      }));
    },

    async queryMeans(query) {
      await ensureDatabase();
      const folded = await rolledUpWindows(query, false);
      if (folded) {
        const out: ReadingMean[] = [];
        for (const { enterprise, outfall, device, pollutant, channel, windows } of folded) {
          const instance = channel === undefined ? {} : { channel };
          for (const w of windows) out.push({ ts: w.ts, enterprise, outfall, device, pollutant, ...instance, mean: w.sum / w.count });
        }
        return out;
      }
      // Straight over HTTP with epoch=ms, parsed here: node-influx's row objects (a Date per row) cost
      // as much as InfluxDB's own work at 100,000 windows (bench/dashboard-query).
      const q =
        `SELECT MEAN(value) AS mean FROM ${READING_MEASUREMENT} WHERE ${whereClause(query)} ` +
        `GROUP BY time(${Math.trunc(query.everyMs)}ms), enterprise, outfall, device, pollutant, channel fill(none) LIMIT ${Math.trunc(query.limit)}`;
      const url = new URL('/query', params.url);
      url.searchParams.set('db', params.database);
      url.searchParams.set('epoch', 'ms');
      url.searchParams.set('q', q);
      let body: { results?: { error?: string; series?: { tags: Record<string, string>; values: [number, number][] }[] }[]; error?: string };
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
        body = (await response.json()) as typeof body;
      } catch (cause) {
        throw unavailable('query', cause);
      }
      const error = body.error ?? body.results?.[0]?.error;
      if (error) throw unavailable('query', new Error(error));
      const out: ReadingMean[] = [];
      for (const series of body.results?.[0]?.series ?? []) {
        const { enterprise = '', outfall = '', device = '', pollutant = '', channel } = series.tags;
        const instance = channelOf(channel);
        for (const [ts, mean] of series.values) out.push({ ts, enterprise, outfall, device, pollutant: pollutant as Hj212Code, ...instance, mean });
      }
      return out;
    },

    async close() {
      // Rebuilds still waiting are given a few seconds; what is left stays stale until rebuildRollups.
      await Promise.race([worker, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
      closed = true;
      // node-influx keeps no open connections beyond keep-alive sockets.
    },
  };
}

/** `{channel}` of a row's channel tag, or nothing for a primary instance (InfluxDB gives a tag a series lacks as '' or null). */
function channelOf(tag: unknown): { channel?: string } {
  return typeof tag === 'string' && tag !== '' ? { channel: tag } : {};
}

function rowToReading(row: Record<string, unknown>): StoredReading {
  const pollutant = String(row.pollutant);
  if (!isHj212Code(pollutant)) throw new TypeError(`stored row with unknown pollutant ${pollutant}`);
  const time = row.time as { getTime(): number };
  return {
    enterprise: String(row.enterprise),
    outfall: String(row.outfall),
    device: String(row.device),
    pollutant,
    ...channelOf(row.channel),
    value: Number(row.value),
    unit: String(row.unit),
    ts: time.getTime(),
    seq: Number(row.seq),
    flag: String(row.flag) as QualityFlag,
    // The batch a reading belongs to: the one it is sealed in, else the one its last write named.
    batch: row.sealed === null || row.sealed === undefined ? Number(row.batch) : Number(row.sealed),
  };
}
