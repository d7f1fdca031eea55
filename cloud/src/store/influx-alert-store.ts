import { FieldType } from 'influx';
import type { AlertEvidence, AlertKind } from '@qingliu/analytics';
import { canonicalEvidence } from '../detection/alert-record.js';
import type { AlertQuery, AlertStore, StoredAlert } from '../ports/alert-store.js';
import { createInfluxConnection } from './influx-connection.js';

/**
 * Alerts in InfluxDB 1.x: measurement `alert`; tags enterprise, outfall, kind,
 * detector; time = the alert's start. One incident is one point (same tags,
 * same start), so writing it again as it grows or once it is recorded on
 * chain replaces it. Fields: id, end, score, closed, evidence_hash, evidence
 * (canonical JSON), tx_hash.
 */
export const ALERT_MEASUREMENT = 'alert';

/** Longest alert the query looks back for (an alert overlapping the range may start before it). */
const LONGEST_ALERT_MS = 7 * 86_400_000;

const quote = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export async function createInfluxAlertStore(params: { url: string; database: string; timeoutMs?: number }): Promise<AlertStore> {
  const { influx, unavailable, ensureDatabase } = createInfluxConnection(
    params,
    [
      {
        measurement: ALERT_MEASUREMENT,
        tags: ['enterprise', 'outfall', 'kind', 'detector'],
        fields: {
          id: FieldType.STRING,
          end: FieldType.INTEGER,
          score: FieldType.FLOAT,
          closed: FieldType.BOOLEAN,
          evidence_hash: FieldType.STRING,
          evidence: FieldType.STRING,
          tx_hash: FieldType.STRING,
        },
      },
    ],
    'alert ',
  );

  return {
    async write(alerts) {
      if (alerts.length === 0) return;
      await ensureDatabase();
      try {
        await influx.writePoints(
          alerts.map((a) => ({
            measurement: ALERT_MEASUREMENT,
            tags: { enterprise: a.enterprise, outfall: a.outfall, kind: a.kind, detector: a.evidence.detector },
            fields: { id: a.id, end: a.end, score: a.score, closed: a.closed, evidence_hash: a.evidenceHash, evidence: canonicalEvidence(a.evidence), tx_hash: a.txHash ?? '' },
            timestamp: a.start,
          })),
          { precision: 'ms' },
        );
      } catch (cause) {
        throw unavailable('write', cause);
      }
    },

    async query(q: AlertQuery) {
      await ensureDatabase();
      const where = [`time >= ${Math.trunc(q.fromMs - LONGEST_ALERT_MS)}ms`, `time < ${Math.trunc(q.toMs)}ms`];
      if (q.enterprise !== undefined) where.push(`enterprise = ${quote(q.enterprise)}`);
      if (q.outfall !== undefined) where.push(`outfall = ${quote(q.outfall)}`);
      let rows: Record<string, unknown>[];
      try {
        rows = await influx.query(`SELECT * FROM ${ALERT_MEASUREMENT} WHERE ${where.join(' AND ')} ORDER BY time ASC`, { precision: 'ms' });
      } catch (cause) {
        throw unavailable('query', cause);
      }
      return rows
        .map((row): StoredAlert => {
          const evidence = JSON.parse(String(row['evidence'])) as AlertEvidence;
          const tx = String(row['tx_hash'] ?? '');
          return {
            id: String(row['id']),
            enterprise: String(row['enterprise']),
            outfall: String(row['outfall']),
            kind: String(row['kind']) as AlertKind,
            start: (row['time'] as { getTime(): number }).getTime(),
            end: Number(row['end']),
            score: Number(row['score']),
            closed: row['closed'] === true,
            evidenceHash: String(row['evidence_hash']),
            evidence: { ...evidence, readings: evidence.readings.map((r) => ({ ...r, expected: r.expected ?? Number.NaN })) },
            ...(tx ? { txHash: tx } : {}),
          };
        })
        .filter((a) => a.end >= q.fromMs)
        .slice(-Math.trunc(q.limit));
    },

    async close() {},
  };
}
