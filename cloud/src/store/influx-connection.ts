import { InfluxDB } from 'influx';
import type { ISchemaOptions } from 'influx';
import { QingliuError } from '@qingliu/protocol';

export interface InfluxConnectionParameters {
  /** e.g. http://127.0.0.1:8086 */
  url: string;
  database: string;
  /** Per-request timeout, milliseconds. */
  timeoutMs?: number;
}

export interface InfluxConnection {
  influx: InfluxDB;
  /** The store's one error for a failed request: STORE_UNAVAILABLE, retryable, naming what failed. */
  unavailable(what: string, cause: unknown): QingliuError;
  /** Creates the database on first use, so a store can be made while InfluxDB is down. */
  ensureDatabase(): Promise<void>;
}

/** One InfluxDB 1.x client as every adapter here uses it: no hidden retries (the callers retry, with backpressure). */
export function createInfluxConnection(params: InfluxConnectionParameters, schema: ISchemaOptions[], label = ''): InfluxConnection {
  const url = new URL(params.url);
  const influx = new InfluxDB({
    host: url.hostname,
    port: Number(url.port || 8086),
    protocol: url.protocol === 'https:' ? 'https' : 'http',
    database: params.database,
    pool: { requestTimeout: params.timeoutMs ?? 10_000, maxRetries: 0 },
    schema,
  });
  const unavailable = (what: string, cause: unknown): QingliuError =>
    new QingliuError('STORE_UNAVAILABLE', `InfluxDB at ${params.url}: ${label}${what} failed`, {
      retryable: true,
      cause,
      details: cause instanceof Error ? cause.message : String(cause),
    });
  let created = false;
  return {
    influx,
    unavailable,
    async ensureDatabase() {
      if (created) return;
      try {
        await influx.createDatabase(params.database);
        created = true;
      } catch (cause) {
        throw unavailable('create database', cause);
      }
    },
  };
}
