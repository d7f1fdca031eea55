#!/usr/bin/env node
/**
 * The cloud as a process.
 *
 *   node cloud/dist/main.js --config cloud.yaml
 *
 * Starts what the config names through the one composition root (app/cloud-app.ts: broker,
 * store, chain, pipeline, detection, HTTP API); SIGINT/SIGTERM stop taking messages, flush,
 * settle the open period (when this process settles) and exit.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { isQingliuError } from '@qingliu/protocol';
import { startCloudApp } from './app/cloud-app.js';
import { loadCloudConfig } from './config.js';

const { values } = parseArgs({ options: { config: { type: 'string', short: 'c', default: 'cloud.yaml' } } });
const logger = pino({ name: 'qingliu-cloud', level: process.env.QINGLIU_LOG_LEVEL ?? 'info', redact: ['password', '*.password', 'privateKey'] });

async function main(): Promise<void> {
  const config = await loadCloudConfig(values.config);
  const app = await startCloudApp(config, { logger });
  logger.info({ mqtt: app.mqttUrl, store: config.adapters.store, chain: config.adapters.chain, http: app.http.url, settles: Boolean(app.ledger) }, 'cloud started');
  // One line on stdout for whoever started this process (tests, supervisors).
  console.log(JSON.stringify({ ready: true, http: app.http.url, mqtt: app.mqttUrl }));

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    await app.close();
    logger.flush();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`qingliu-cloud: ${isQingliuError(error) ? error.message : error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
