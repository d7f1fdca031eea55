#!/usr/bin/env -S node --optimize-for-size --max-semi-space-size=1
/**
 * The edge agent's command line.
 *
 *   qingliu-edge keys --config edge.yaml          make (first time) and print the device keys to enrol
 *   qingliu-edge once --config edge.yaml [--json] poll every device once, print the decoded values;
 *                                                 exit 1 naming the devices that failed and the points refused
 *   qingliu-edge run  --config edge.yaml          poll, sign and publish until SIGINT/SIGTERM
 *
 * LOG_LEVEL (default info) sets the pino level; logs go to stdout, except for
 * `once`, which logs to stderr and prints only its results on stdout.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { isQingliuError } from '@qingliu/protocol';
import { loadDeviceKeys, startEdgeAgent } from './agent.js';
import { openConfiguredOutbox } from './configured-outbox.js';
import { formatCommissionResult, pollEveryDeviceOnce } from './commission.js';
import { loadEdgeConfig } from './config.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    config: { type: 'string', short: 'c', default: 'edge.yaml' },
    json: { type: 'boolean', default: false },
    once: { type: 'boolean', default: false },
  },
});
const command = values.once ? 'once' : (positionals[0] ?? 'run');
const level = process.env['LOG_LEVEL'] ?? 'info';
const redact = ['config.mqtt.password', 'mqtt.password'];
const logger =
  command === 'once'
    ? pino({ name: 'qingliu-edge', level, redact }, pino.destination(2))
    : pino({ name: 'qingliu-edge', level, redact });

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
  } else if (command === 'once') {
    const results = await pollEveryDeviceOnce(config);
    for (const result of results) console.log(values.json ? JSON.stringify(result) : formatCommissionResult(result));
    const failed = results.filter((r) => !r.ok).map((r) => r.device);
    if (failed.length > 0) {
      console.error(`qingliu-edge: ${failed.length} of ${results.length} devices did not answer: ${failed.join(', ')}`);
      process.exitCode = 1;
    }
    const refused = results.flatMap((r) => (r.ok ? (r.failedPoints ?? []).map((f) => `${r.device} ${f.error}`) : []));
    if (refused.length > 0) {
      console.error(`qingliu-edge: ${refused.length} points were not read (the other points were):\n  ${refused.join('\n  ')}`);
      process.exitCode = 1;
    }
  } else if (command === 'run') {
    const agent = await startEdgeAgent({ config, logger, ...(await openConfiguredOutbox(config, logger)) });
    const stop = async (signal: string): Promise<void> => {
      logger.info({ signal }, 'stopping: draining the outbox');
      await agent.close({ drainMs: 10_000 });
      process.exit(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  } else {
    console.error(`unknown command ${command}; use "keys", "once" or "run"`);
    process.exit(2);
  }
} catch (error) {
  if (isQingliuError(error)) {
    console.error(`qingliu-edge: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
