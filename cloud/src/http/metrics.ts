import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { QingliuErrorCode } from '@qingliu/protocol';
import type { BrokerRefusalReason } from '../ports/broker-refusals.js';
import { BROKER_REFUSAL_REASONS } from '../ports/broker-refusals.js';
import type { IngestStats } from '../ingest/ingest-stats.js';

export interface MetricsSources {
  ingest: () => IngestStats;
  batchesSettled: () => number;
  /** The embedded broker's refusals by reason (left out with an external broker, which counts its own). */
  brokerRefusals?: () => Readonly<Record<BrokerRefusalReason, number>>;
  /** Device entries the status watcher refused from agents' reports (not the reporting agent's own devices). */
  statusRefused?: () => number;
}

/** Why the ingester refuses a message (`IngestStats.rejected`; ingest/batch-verifier.ts, ingester.ts). */
export const INGEST_REJECT_REASONS = [
  'PAYLOAD_TOO_LARGE',
  'SCHEMA_INVALID',
  'TOPIC_MISMATCH',
  'DEVICE_UNKNOWN',
  'SIGNATURE_INVALID',
  'DUPLICATE',
] as const satisfies readonly QingliuErrorCode[];

/**
 * A Prometheus counter that follows a running total of the pipeline, read when scraped.
 * Counters only ever grow: each scrape adds what changed since the last one.
 */
function followedCounter(registry: Registry, name: string, help: string, read: () => number): void {
  let last = 0;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const value = read();
      if (value > last) this.inc(value - last);
      last = value;
    },
  });
}

interface LabelledCounterParameters {
  name: string;
  help: string;
  /** The label's name, e.g. `reason`. */
  label: string;
  /** Every value the label is known to take: each is exported from the start, at 0. */
  values: readonly string[];
  /** Running totals by label value; a value not in `values` is exported too, once counted. */
  read: () => Readonly<Partial<Record<string, number>>>;
}

/**
 * A counter with one label that follows running totals by label value (refusals by reason, say).
 * Every known value is there from the first scrape, at 0, so `rate()` and alerts see a series
 * before its first increment.
 */
function labelledCounter(registry: Registry, params: LabelledCounterParameters): void {
  const last = new Map<string, number>();
  const counter = new Counter({
    name: params.name,
    help: params.help,
    labelNames: [params.label],
    registers: [registry],
    collect() {
      for (const [value, total] of Object.entries(params.read())) {
        const delta = (total ?? 0) - (last.get(value) ?? 0);
        if (delta > 0) this.inc({ [params.label]: value }, delta);
        last.set(value, total ?? 0);
      }
    },
  });
  for (const value of params.values) counter.inc({ [params.label]: value }, 0);
}

/**
 * The registry behind GET /metrics: Node.js's and the process's default metrics under their
 * conventional names (`process_cpu_seconds_total`, `nodejs_heap_size_used_bytes`, ..., what stock
 * Node.js dashboards query), and the pipeline's own counters (`qingliu_...`), read from its
 * running totals when scraped. A new counter by reason is one `labelledCounter` call with the
 * reasons it knows.
 */
export function createMetricsRegistry(sources: MetricsSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  followedCounter(registry, 'qingliu_ingest_messages_total', 'MQTT messages received by the ingester', () => sources.ingest().messages);
  followedCounter(registry, 'qingliu_ingest_readings_stored_total', 'Readings written to the time-series store', () => sources.ingest().stored);
  followedCounter(registry, 'qingliu_ingest_duplicate_readings_total', 'Readings dropped because their (device, seq) was stored already', () => sources.ingest().duplicates);
  labelledCounter(registry, {
    name: 'qingliu_ingest_rejected_messages_total',
    help: 'Messages refused, by reason',
    label: 'reason',
    values: INGEST_REJECT_REASONS,
    read: () => sources.ingest().rejected,
  });
  const { brokerRefusals, statusRefused } = sources;
  if (brokerRefusals) {
    labelledCounter(registry, {
      name: 'qingliu_broker_refusals_total',
      help: 'Connections, publishes and subscriptions the embedded broker refused, by reason',
      label: 'reason',
      values: BROKER_REFUSAL_REASONS,
      read: brokerRefusals,
    });
  }
  if (statusRefused) {
    followedCounter(registry, 'qingliu_agent_status_refused_total', "Devices named in an agent's status report that are not its own", statusRefused);
  }
  followedCounter(registry, 'qingliu_store_retries_total', 'Store calls that failed and were retried', () => sources.ingest().storeRetries);
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
