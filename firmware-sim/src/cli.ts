#!/usr/bin/env node
/**
 * Starts the default simulated plant (or a scenario's) and prints where each
 * device listens. Ctrl-C (SIGINT) or SIGTERM stops it.
 *
 *   node firmware-sim/dist/cli.js [--host 127.0.0.1] [--port-base 5020]
 *                                 [--scenario file.yaml [--labels labels.csv]]
 *
 * With --scenario the devices run the scenario's outfalls (default: the
 * default plant) on its simulated clock with its events; --labels writes
 * the ground truth (outfall,kind,start,end) before the devices start.
 * Without --port-base each device takes a free port; with it, device i
 * listens on port-base + i (5020, 5021, 5022), as edge/edge.sample.yaml expects.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { isQingliuError } from '@qingliu/protocol';
import { defaultPlant, startPlant } from './plant.js';
import type { PlantSpec } from './plant.js';
import { loadScenario, scenarioClock, writeLabels } from './scenario.js';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    'port-base': { type: 'string' },
    scenario: { type: 'string' },
    labels: { type: 'string' },
  },
});
const portBase = values['port-base'] === undefined ? undefined : Number(values['port-base']);
if (portBase !== undefined && !(Number.isInteger(portBase) && portBase > 0 && portBase < 65_500)) {
  process.stderr.write(`--port-base must be a port number, got ${values['port-base']}\n`);
  process.exit(2);
}
const logger = pino({ level: process.env['LOG_LEVEL'] ?? 'warn' });

let spec: PlantSpec = defaultPlant();
if (values.labels !== undefined && values.scenario === undefined) {
  process.stderr.write('--labels needs --scenario\n');
  process.exit(2);
}
if (values.scenario !== undefined) {
  try {
    const scenario = await loadScenario(values.scenario);
    if (values.labels !== undefined) await writeLabels(values.labels, scenario);
    spec = { outfalls: scenario.outfalls ?? spec.outfalls, events: scenario.events, clock: scenarioClock(scenario) };
    process.stdout.write(`scenario ${values.scenario}: ${scenario.events.length} events from ${new Date(scenario.start).toISOString()}, x${scenario.speed}\n`);
  } catch (error) {
    if (!isQingliuError(error)) throw error;
    process.stderr.write(`firmware-sim: ${error.message}\n`);
    process.exit(2);
  }
}
const plant = await startPlant({
  ...spec,
  outfalls: spec.outfalls.map((o, i) => (portBase === undefined ? o : { ...o, port: portBase + i })),
  host: values.host,
  logger,
});
for (const d of plant.devices) {
  process.stdout.write(
    `${d.enterprise}/${d.outfall}  device ${d.device}  modbus tcp ${d.host}:${d.port} unit ${d.unitId}  layout ${d.layout}\n`,
  );
}
process.stdout.write('plant running; Ctrl-C stops it\n');

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`${signal}: stopping plant\n`);
  plant.close().then(
    () => process.exit(0),
    (error: unknown) => {
      logger.error({ err: error }, 'stop failed');
      process.exit(1);
    },
  );
};
process.once('SIGINT', () => stop('SIGINT'));
process.once('SIGTERM', () => stop('SIGTERM'));
