import type { QingliuError } from '@qingliu/protocol';
import { continuousQueryStatements, retentionPolicyStatements } from './rollup-levels.js';
import type { BackfillRange } from './rollup-levels.js';
import type { InfluxResult } from './rollup-query.js';

export interface EnsureRollupsParameters {
  database: string;
  rawMeasurement: string;
  /** Runs statements in order in one request; rejects with a QingliuError whose `details` is InfluxDB's error. */
  run: (statements: readonly string[], what?: string) => Promise<InfluxResult[]>;
  rebuild: (range: BackfillRange) => Promise<void>;
}

const DAY = 86_400_000;

/**
 * Makes the rollups' retention policies and continuous queries (rollup-levels.ts). A continuous
 * query whose definition changed is dropped and made again. When they are new and readings exist
 * already, every day with readings is backfilled first; the continuous queries are made last, so a
 * backfill cut short is started again by the next start.
 */
export async function ensureRollups(params: EnsureRollupsParameters): Promise<void> {
  const { database, run } = params;
  const alreadyExists = (error: unknown): boolean => String((error as QingliuError).details).includes('already exists');
  for (const statement of retentionPolicyStatements(database)) {
    // Kept as it is when it exists with other options (an operator's retention, say).
    await run([statement], 'create rollups').catch((error: unknown) => {
      if (!alreadyExists(error)) throw error;
    });
  }
  const queries = continuousQueryStatements(database, params.rawMeasurement);
  const [shown] = await run([`SHOW CONTINUOUS QUERIES`], 'create rollups');
  const existing = new Set((shown?.series ?? []).filter((s) => s.name === database).flatMap((s) => (s.values ?? []).map((row) => String(row[0]))));
  if (!queries.every((cq) => existing.has(cq.name))) {
    const [first, last] = await run([`SELECT first("value") FROM "${params.rawMeasurement}"`, `SELECT last("value") FROM "${params.rawMeasurement}"`]);
    const firstMs = first?.series?.[0]?.values?.[0]?.[0];
    const lastMs = last?.series?.[0]?.values?.[0]?.[0];
    if (typeof firstMs === 'number' && typeof lastMs === 'number') {
      for (let day = Math.floor(firstMs / DAY) * DAY; day <= lastMs; day += DAY) await params.rebuild({ fromMs: day, toMs: day + DAY });
    }
  }
  for (const { name, statement } of queries) {
    try {
      await run([statement], 'create rollups');
    } catch (error) {
      if (!alreadyExists(error)) throw error;
      await run([`DROP CONTINUOUS QUERY "${name}" ON "${database}"`, statement], 'create rollups');
    }
  }
}
