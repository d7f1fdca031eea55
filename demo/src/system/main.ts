#!/usr/bin/env node
/**
 * The whole-system fault, load and abuse suite.
 *
 *   npm run system -- [--outfalls 20] [--faults all|none|edge-kill,broker-stop,...]
 *                     [--outage-s 30] [--poll-ms 200] [--period-s 5] [--malformed 10000]
 *                     [--no-abuse] [--work-dir DIR] [--keep]
 *
 * Prints one row per fault and exits 1 on any loss, duplicate, mischarge,
 * bad root, crash or abuse let through (2 on bad arguments).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FAULTS, SYSTEM_DEFAULTS, parseFaults, systemOptions } from './options.js';
import type { SystemOptions } from './options.js';
import { runSystem } from './run-system.js';

const usage = `usage: npm run system -- [--outfalls N] [--faults all|none|${FAULTS.join(',')}] [--outage-s S] [--poll-ms MS] [--period-s S] [--malformed N] [--no-abuse] [--work-dir DIR] [--keep]`;

let options: SystemOptions;
try {
  const { values } = parseArgs({
    options: {
      outfalls: { type: 'string', default: String(SYSTEM_DEFAULTS.outfalls) },
      faults: { type: 'string', default: 'all' },
      'outage-s': { type: 'string', default: String(SYSTEM_DEFAULTS.outageMs / 1000) },
      'poll-ms': { type: 'string', default: String(SYSTEM_DEFAULTS.pollIntervalMs) },
      'period-s': { type: 'string', default: String(SYSTEM_DEFAULTS.settlementPeriodMs / 1000) },
      malformed: { type: 'string', default: String(SYSTEM_DEFAULTS.malformed) },
      'no-abuse': { type: 'boolean', default: false },
      'work-dir': { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
  });
  const number = (name: string, text: string, min: number, max: number): number => {
    const n = Number(text);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number from ${min} to ${max}, got ${text}`);
    return n;
  };
  options = systemOptions({
    outfalls: Math.trunc(number('outfalls', values.outfalls, 2, 200)),
    faults: parseFaults(values.faults),
    outageMs: number('outage-s', values['outage-s'], 1, 300) * 1000,
    pollIntervalMs: number('poll-ms', values['poll-ms'], 50, 60_000),
    settlementPeriodMs: number('period-s', values['period-s'], 1, 3600) * 1000,
    malformed: Math.trunc(number('malformed', values.malformed, 0, 1_000_000)),
    abuse: !values['no-abuse'],
    ...(values['work-dir'] === undefined ? {} : { workDir: resolve(values['work-dir']) }),
    keepWorkDir: values.keep,
    say: (line) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`),
  });
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  console.error(usage);
  process.exit(2);
}

// Every child is stopped by runSystem's finally: a signal stops the run before its next step.
const abort = new AbortController();
options.signal = abort.signal;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`${signal}: stopping after the current step, then every process`);
    abort.abort(new Error(signal));
  });
}

try {
  const result = await runSystem(options);
  console.log('');
  console.log(result.report);
  process.exit(result.passed ? 0 : 1);
} catch (error) {
  console.error(`system suite stopped: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
}
