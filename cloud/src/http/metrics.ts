import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { IngestStats } from '../ingest/ingest-stats.js';

export interface MetricsSources {
  ingest: () => IngestStats;
  batchesSettled: () => number;
}

/**
 * Prometheus metrics read from the pipeline's own counters when scraped.
 * Counters only ever grow: each scrape adds what changed since the last one.
 */
export function createMetricsRegistry(sources: MetricsSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'qingliu_process_' });
  const last = new Map<string, number>();
  const advance = (counter: Counter<string>, key: string, value: number, labels: Record<string, string> = {}): void => {
    const delta = value - (last.get(key) ?? 0);
    if (delta > 0) counter.inc(labels, delta);
    last.set(key, value);
  };
  new Counter({
    name: 'qingliu_ingest_messages_total',
    help: 'MQTT messages received by the ingester',
    registers: [registry],
    collect() {
      advance(this, 'messages', sources.ingest().messages);
    },
  });
  new Counter({
    name: 'qingliu_ingest_readings_stored_total',
    help: 'Readings written to the time-series store',
    registers: [registry],
    collect() {
      advance(this, 'stored', sources.ingest().stored);
    },
  });
  new Counter({
    name: 'qingliu_ingest_duplicate_readings_total',
    help: 'Readings dropped because their (device, seq) was stored already',
    registers: [registry],
    collect() {
      advance(this, 'duplicates', sources.ingest().duplicates);
    },
  });
  new Counter({
    name: 'qingliu_ingest_rejected_messages_total',
    help: 'Messages refused, by reason',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      for (const [reason, count] of Object.entries(sources.ingest().rejected)) {
        advance(this, `rejected:${reason}`, count ?? 0, { reason });
      }
    },
  });
  new Counter({
    name: 'qingliu_store_retries_total',
    help: 'Store calls that failed and were retried',
    registers: [registry],
    collect() {
      advance(this, 'retries', sources.ingest().storeRetries);
    },
  });
  new Gauge({
    name: 'qingliu_batches_settled',
    help: 'Settlement batches settled on the ledger by this process',
    registers: [registry],
    collect() {
      this.set(sources.batchesSettled());
    },
  });
  return registry;
}
