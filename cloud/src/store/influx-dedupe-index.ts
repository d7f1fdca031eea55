import type { DedupeIndex } from '../ports/dedupe-index.js';
import { createInfluxConnection } from './influx-connection.js';
import type { InfluxConnectionParameters } from './influx-connection.js';
import { READING_MEASUREMENT } from './influx-encoder.js';
import { whereClause } from './rollup-query.js';

/** The dedupe index over the InfluxDB store's readings (influx-store.ts): their `seq` fields, asked of InfluxDB. */
export function createInfluxDedupeIndex(params: InfluxConnectionParameters): DedupeIndex {
  const { influx, unavailable, ensureDatabase } = createInfluxConnection(params, [], 'dedupe index ');
  const query = async (statement: string): Promise<Record<string, unknown>[]> => {
    await ensureDatabase();
    try {
      return await influx.query(statement);
    } catch (cause) {
      throw unavailable('query', cause);
    }
  };
  return {
    async storedSequences(device, fromMs, toMs) {
      const rows = await query(`SELECT seq FROM ${READING_MEASUREMENT} WHERE ${whereClause({ device, fromMs, toMs: toMs + 1, limit: 0 })}`);
      return new Set(rows.map((row) => Number(row.seq)));
    },
    async highestSequences() {
      const rows = await query(`SELECT MAX(seq) AS seq FROM ${READING_MEASUREMENT} GROUP BY device`);
      return new Map(rows.map((row) => [String(row.device), Number(row.seq)]));
    },
  };
}
