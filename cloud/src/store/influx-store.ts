import { FieldType, InfluxDB } from 'influx';
import { QingliuError, idSchema, isPollutantCode } from '@qingliu/protocol';
import type { PollutantCode, QualityFlag } from '@qingliu/protocol';
import type { ReadingQuery, ReadingStore, StoredReading } from '../ports/reading-store.js';
import { readingLine } from './line-protocol.js';

/**
 * Readings in InfluxDB 1.x: measurement `reading`; tags enterprise, outfall,
 * device, pollutant (bounded sets: the series count is devices x pollutants);
 * fields value, seq, flag, unit, batch (unbounded or per-reading values stay
 * out of the tags). Time in milliseconds. A reading written twice lands on
 * the same point (same series and time), so a retried write cannot duplicate it.
 */
export const READING_MEASUREMENT = 'reading';

export interface InfluxStoreParameters {
  /** e.g. http://127.0.0.1:8086 */
  url: string;
  database: string;
  /** Per-request timeout, milliseconds. */
  timeoutMs?: number;
}

export async function createInfluxStore(params: InfluxStoreParameters): Promise<ReadingStore> {
  const url = new URL(params.url);
  const influx = new InfluxDB({
    host: url.hostname,
    port: Number(url.port || 8086),
    protocol: url.protocol === 'https:' ? 'https' : 'http',
    database: params.database,
    // Retries belong to the ingester (with backpressure), not hidden inside the client.
    pool: { requestTimeout: params.timeoutMs ?? 10_000, maxRetries: 0 },
    schema: [
      {
        measurement: READING_MEASUREMENT,
        tags: ['enterprise', 'outfall', 'device', 'pollutant'],
        fields: {
          value: FieldType.FLOAT,
          seq: FieldType.INTEGER,
          flag: FieldType.STRING,
          unit: FieldType.STRING,
          batch: FieldType.INTEGER,
        },
      },
    ],
  });
  const unavailable = (what: string, cause: unknown): QingliuError =>
    new QingliuError('STORE_UNAVAILABLE', `InfluxDB at ${params.url}: ${what} failed`, {
      retryable: true,
      cause,
      details: cause instanceof Error ? cause.message : String(cause),
    });
  const timeoutMs = params.timeoutMs ?? 10_000;
  const writeUrl = new URL('/write', params.url);
  writeUrl.searchParams.set('db', params.database);
  writeUrl.searchParams.set('precision', 'ms');
  // The database is made on first use, so the store can be created while InfluxDB is down.
  let created = false;
  const ensureDatabase = async (): Promise<void> => {
    if (created) return;
    try {
      await influx.createDatabase(params.database);
      created = true;
    } catch (cause) {
      throw unavailable('create database', cause);
    }
  };

  return {
    async write(readings) {
      if (readings.length === 0) return;
      await ensureDatabase();
      // Line protocol written here and posted with fetch: node-influx's point formatting
      // cost more than InfluxDB's own parsing (bench/ingest-pipeline); queries stay on node-influx.
      const body = readings.map((r) => readingLine(READING_MEASUREMENT, r)).join('\n');
      let response: Response;
      try {
        response = await fetch(writeUrl, { method: 'POST', body, signal: AbortSignal.timeout(timeoutMs) });
      } catch (cause) {
        throw unavailable('write', cause);
      }
      if (response.status !== 204) {
        const text = await response.text().catch(() => '');
        // 4xx: InfluxDB refused the points themselves (not retryable); 5xx: try again.
        throw new QingliuError(response.status >= 500 ? 'STORE_UNAVAILABLE' : 'SCHEMA_INVALID', `InfluxDB at ${params.url}: write answered ${response.status}`, {
          retryable: response.status >= 500,
          details: text.slice(0, 500),
        });
      }
    },

    async readBatch(batch) {
      await ensureDatabase();
      let rows: Record<string, unknown>[];
      try {
        rows = await influx.query(
          `SELECT * FROM ${READING_MEASUREMENT} WHERE batch = ${Math.trunc(batch)}`,
          { precision: 'ms' },
        );
      } catch (cause) {
        throw unavailable('query', cause);
      }
      return rows.map(rowToReading);
    },

    async batches() {
      await ensureDatabase();
      let rows: Record<string, unknown>[];
      try {
        rows = await influx.query(`SELECT DISTINCT(batch) AS batch FROM ${READING_MEASUREMENT}`);
      } catch (cause) {
        throw unavailable('query', cause);
      }
      return rows.map((row) => Number(row.batch)).sort((a, b) => a - b);
    },

    async storedSequences(device, fromMs, toMs) {
      await ensureDatabase();
      let rows: Record<string, unknown>[];
      try {
        rows = await influx.query(
          `SELECT seq FROM ${READING_MEASUREMENT} WHERE ${whereClause({ device, fromMs, toMs: toMs + 1, limit: 0 })}`,
        );
      } catch (cause) {
        throw unavailable('query', cause);
      }
      return new Set(rows.map((row) => Number(row.seq)));
    },

    async highestSequences() {
      await ensureDatabase();
      let rows: Record<string, unknown>[];
      try {
        rows = await influx.query(`SELECT MAX(seq) AS seq FROM ${READING_MEASUREMENT} GROUP BY device`);
      } catch (cause) {
        throw unavailable('query', cause);
      }
      return new Map(rows.map((row) => [String(row.device), Number(row.seq)]));
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
      let rows: Record<string, unknown>[];
      try {
        rows = await influx.query(
          `SELECT MEAN(value) AS mean, MIN(value) AS min, MAX(value) AS max, COUNT(value) AS count FROM ${READING_MEASUREMENT} ` +
            `WHERE ${whereClause(query)} GROUP BY time(${Math.trunc(query.everyMs)}ms), enterprise, outfall, device, pollutant ` +
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
        pollutant: String(row.pollutant) as PollutantCode,
        mean: Number(row.mean),
        min: Number(row.min),
        max: Number(row.max),
        count: Number(row.count),
      }));
    },

    async queryMeans(query) {
      await ensureDatabase();
      // Straight over HTTP with epoch=ms, parsed here: node-influx's row objects (a Date per row) cost
      // as much as InfluxDB's own work at 100,000 windows (bench/dashboard-query).
      const q =
        `SELECT MEAN(value) AS mean FROM ${READING_MEASUREMENT} WHERE ${whereClause(query)} ` +
        `GROUP BY time(${Math.trunc(query.everyMs)}ms), enterprise, outfall, device, pollutant fill(none) LIMIT ${Math.trunc(query.limit)}`;
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
      const out = [];
      for (const series of body.results?.[0]?.series ?? []) {
        const { enterprise = '', outfall = '', device = '', pollutant = '' } = series.tags;
        for (const [ts, mean] of series.values) out.push({ ts, enterprise, outfall, device, pollutant: pollutant as PollutantCode, mean });
      }
      return out;
    },

    async close() {
      // node-influx keeps no open connections beyond keep-alive sockets.
    },
  };
}

/** InfluxQL conditions for a query; ids are checked against the protocol's id pattern first, so they need no escaping. */
function whereClause(query: ReadingQuery): string {
  const conditions = [`time >= ${Math.trunc(query.fromMs)}ms`, `time < ${Math.trunc(query.toMs)}ms`];
  for (const tag of ['enterprise', 'outfall', 'device', 'pollutant'] as const) {
    const value = query[tag];
    if (value === undefined) continue;
    if (!idSchema.safeParse(value).success) throw new QingliuError('SCHEMA_INVALID', `bad ${tag}: ${value}`);
    conditions.push(`"${tag}" = '${value}'`);
  }
  return conditions.join(' AND ');
}

function rowToReading(row: Record<string, unknown>): StoredReading {
  const pollutant = String(row.pollutant);
  if (!isPollutantCode(pollutant)) throw new TypeError(`stored row with unknown pollutant ${pollutant}`);
  const time = row.time as { getTime(): number };
  return {
    enterprise: String(row.enterprise),
    outfall: String(row.outfall),
    device: String(row.device),
    pollutant,
    value: Number(row.value),
    unit: String(row.unit),
    ts: time.getTime(),
    seq: Number(row.seq),
    flag: String(row.flag) as QualityFlag,
    batch: Number(row.batch),
  };
}
