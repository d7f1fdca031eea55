import { emptyIngestStats } from '../ingest/ingest-stats.js';
import type { IngestStats } from '../ingest/ingest-stats.js';
import { createMetricsRegistry } from './metrics.js';

/** Every reason the ingester refuses a message with (ingest/batch-verifier.ts, ingester.ts). */
const REASONS = ['PAYLOAD_TOO_LARGE', 'SCHEMA_INVALID', 'TOPIC_MISMATCH', 'DEVICE_UNKNOWN', 'SIGNATURE_INVALID', 'DUPLICATE'];

const names = (exposition: string): Set<string> => new Set([...exposition.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));

describe('Prometheus metrics', () => {
  it('names the default metrics as stock Node.js dashboards query them, without a prefix', async () => {
    const exposition = await createMetricsRegistry({ ingest: emptyIngestStats, batchesSettled: () => 0 }).metrics();
    const exported = names(exposition);
    for (const name of ['process_cpu_seconds_total', 'process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_version_info']) {
      expect({ name, exported: exported.has(name) }).toEqual({ name, exported: true });
    }
    expect([...exported].filter((name) => /^qingliu_process_|process_process_/.test(name))).toEqual([]);
    expect([...exported].filter((name) => name.startsWith('qingliu_')).sort()).toEqual([
      'qingliu_batches_settled',
      'qingliu_ingest_duplicate_readings_total',
      'qingliu_ingest_messages_total',
      'qingliu_ingest_readings_stored_total',
      'qingliu_ingest_rejected_messages_total',
      'qingliu_store_retries_total',
    ]);
  });

  it('exports every known refusal reason at 0 before the first refusal, then counts up', async () => {
    const stats: IngestStats = emptyIngestStats();
    const registry = createMetricsRegistry({ ingest: () => stats, batchesSettled: () => 0 });
    const rejected = async (): Promise<Record<string, number>> =>
      Object.fromEntries([...(await registry.metrics()).matchAll(/^qingliu_ingest_rejected_messages_total\{reason="([A-Z_]+)"\} (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
    expect(await rejected()).toEqual(Object.fromEntries(REASONS.map((reason) => [reason, 0])));
    stats.rejected = { SIGNATURE_INVALID: 2, STORE_UNAVAILABLE: 1 };
    expect(await rejected()).toMatchObject({ SIGNATURE_INVALID: 2, STORE_UNAVAILABLE: 1, DUPLICATE: 0 });
    stats.rejected = { SIGNATURE_INVALID: 5, STORE_UNAVAILABLE: 1 };
    expect(await rejected()).toMatchObject({ SIGNATURE_INVALID: 5, STORE_UNAVAILABLE: 1, DUPLICATE: 0 });
    expect((await registry.metrics()).match(/^qingliu_ingest_messages_total 0$/m)).not.toBeNull();
  });

  it("exports the embedded broker's refusals by reason, each at 0 from the start, and the status watcher's", async () => {
    const refusals = { 'bad-credentials': 0, 'client-id-not-owned': 0, 'publish-not-allowed': 0, 'subscribe-not-allowed': 0 };
    let statusRefused = 0;
    const registry = createMetricsRegistry({ ingest: emptyIngestStats, batchesSettled: () => 0, brokerRefusals: () => refusals, statusRefused: () => statusRefused });
    const broker = async (): Promise<Record<string, number>> =>
      Object.fromEntries([...(await registry.metrics()).matchAll(/^qingliu_broker_refusals_total\{reason="([a-z-]+)"\} (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
    expect(await broker()).toEqual(refusals);
    refusals['client-id-not-owned'] = 3;
    statusRefused = 2;
    expect(await broker()).toEqual({ ...refusals, 'client-id-not-owned': 3 });
    expect((await registry.metrics()).match(/^qingliu_agent_status_refused_total 2$/m)).not.toBeNull();
  });
});
