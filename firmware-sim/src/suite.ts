#!/usr/bin/env node
/**
 * Writes one dataset of the labelled scenario suite, for the detection CLI and scorer
 * (analytics/dist/cli/detect.js, score.js):
 *
 *   node firmware-sim/dist/suite.js --pattern dilution [--seed 1] [--outfalls 8] [--days 21] --out-dir /tmp/suite-dilution
 *
 * writes <out-dir>/readings.csv (ts,outfall,flow,cod,nh3n,ph,tp,tn) and
 * <out-dir>/labels.csv (outfall,kind,start,end). Events fall in the last 30%
 * of the record only. Patterns: spike, bypass-dump, dilution, flatline,
 * replay, ph-excursion, clean.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SUITE_PATTERNS, suiteLabelsCsv, suiteReadingsCsv, suiteScenario } from './scenario-suite.js';
import type { SuitePattern } from './scenario-suite.js';

const USAGE = `usage: suite --pattern <${SUITE_PATTERNS.join('|')}> [--seed 1] [--outfalls 8] [--days 21] --out-dir <dir>`;

function positive(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number >= 1, got ${text}`);
  return n;
}

async function main(): Promise<number> {
  try {
    const { values } = parseArgs({
      options: { pattern: { type: 'string' }, seed: { type: 'string', default: '1' }, outfalls: { type: 'string', default: '8' }, days: { type: 'string', default: '21' }, 'out-dir': { type: 'string' } },
    });
    const pattern = values.pattern as SuitePattern | undefined;
    if (!pattern || !SUITE_PATTERNS.includes(pattern) || !values['out-dir']) throw new Error(USAGE);
    const scenario = suiteScenario({ pattern, seed: Number(values.seed), outfalls: positive('outfalls', values.outfalls), days: positive('days', values.days) });
    await mkdir(values['out-dir'], { recursive: true });
    await writeFile(join(values['out-dir'], 'readings.csv'), suiteReadingsCsv(scenario));
    await writeFile(join(values['out-dir'], 'labels.csv'), suiteLabelsCsv(scenario));
    process.stdout.write(`${pattern}: ${scenario.suiteOutfalls.length} outfalls, ${scenario.events.length} events -> ${values['out-dir']}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
}

process.exitCode = await main();
