#!/usr/bin/env node
/**
 * The edge agent's command line.
 *
 *   qingliu-edge keys --config edge.yaml   make (first time) and print the device keys to enrol
 *   qingliu-edge run  --config edge.yaml   poll, sign and publish until SIGINT/SIGTERM
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { isQingliuError } from '@qingliu/protocol';
import { loadDeviceKeys, startEdgeAgent } from './agent.js';
import { loadEdgeConfig } from './config.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { config: { type: 'string', short: 'c', default: 'edge.yaml' } },
});
const command = positionals[0] ?? 'run';
const logger = pino({ name: 'qingliu-edge', redact: ['config.mqtt.password', 'mqtt.password'] });

try {
  const config = await loadEdgeConfig(values.config);
  if (command === 'keys') {
    const keys = await loadDeviceKeys(config);
    const devices = config.devices.map((device) => ({
      device: device.id,
      enterprise: config.enterprise,
      outfall: device.outfall,
      publicKey: keys.get(device.id)!.publicKeyHex,
      sampleIntervalMs: device.pollIntervalMs,
    }));
    console.log(JSON.stringify({ devices }, null, 2));
  } else if (command === 'run') {
    const agent = await startEdgeAgent({ config, logger });
    const stop = async (signal: string): Promise<void> => {
      logger.info({ signal }, 'stopping: draining the outbox');
      await agent.close({ drainMs: 10_000 });
      process.exit(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  } else {
    console.error(`unknown command ${command}; use "keys" or "run"`);
    process.exit(2);
  }
} catch (error) {
  if (isQingliuError(error)) {
    console.error(`qingliu-edge: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
