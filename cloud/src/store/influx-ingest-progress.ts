import { FieldType } from 'influx';
import type { IngestProgress } from '../ports/ingest-progress.js';
import { createInfluxConnection } from './influx-connection.js';

/** Ingest progress in InfluxDB beside the readings: measurement `ingest_progress`, tag ingester, field batch. */
export const INGEST_PROGRESS_MEASUREMENT = 'ingest_progress';

export async function createInfluxIngestProgress(params: { url: string; database: string; timeoutMs?: number }): Promise<IngestProgress> {
  const { influx, unavailable, ensureDatabase } = createInfluxConnection(
    params,
    [{ measurement: INGEST_PROGRESS_MEASUREMENT, tags: ['ingester'], fields: { batch: FieldType.INTEGER } }],
    'ingest progress ',
  );
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
