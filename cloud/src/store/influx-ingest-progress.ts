import { FieldType, InfluxDB } from 'influx';
import { QingliuError } from '@qingliu/protocol';
import type { IngestProgress } from '../ports/ingest-progress.js';

/** Ingest progress in InfluxDB beside the readings: measurement `ingest_progress`, tag ingester, field batch. */
export const INGEST_PROGRESS_MEASUREMENT = 'ingest_progress';

export async function createInfluxIngestProgress(params: { url: string; database: string; timeoutMs?: number }): Promise<IngestProgress> {
  const url = new URL(params.url);
  const influx = new InfluxDB({
    host: url.hostname,
    port: Number(url.port || 8086),
    protocol: url.protocol === 'https:' ? 'https' : 'http',
    database: params.database,
    pool: { requestTimeout: params.timeoutMs ?? 10_000, maxRetries: 0 },
    schema: [{ measurement: INGEST_PROGRESS_MEASUREMENT, tags: ['ingester'], fields: { batch: FieldType.INTEGER } }],
  });
  const unavailable = (what: string, cause: unknown): QingliuError =>
    new QingliuError('STORE_UNAVAILABLE', `InfluxDB at ${params.url}: ingest progress ${what} failed`, { retryable: true, cause, details: cause instanceof Error ? cause.message : String(cause) });
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
    async report(ingester, batch) {
      await ensureDatabase();
      try {
        await influx.writePoints([{ measurement: INGEST_PROGRESS_MEASUREMENT, tags: { ingester }, fields: { batch }, timestamp: Date.now() }], { precision: 'ms' });
      } catch (cause) {
        throw unavailable('write', cause);
      }
    },
    async writtenThrough() {
      await ensureDatabase();
      let rows: Record<string, unknown>[];
      try {
        rows = await influx.query(`SELECT last("batch") AS batch FROM ${INGEST_PROGRESS_MEASUREMENT} GROUP BY ingester`, { precision: 'ms' });
      } catch (cause) {
        throw unavailable('query', cause);
      }
      return new Map(rows.map((r) => [String(r['ingester']), { batch: Number(r['batch']), at: (r['time'] as { getTime(): number }).getTime() }]));
    },
  };
}
