#!/usr/bin/env node
/**
 * Converts the GECCO 2018 file for detect.js and score.js:
 *
 *   node analytics/dist/cli/gecco.js [--input /work/shared/datasets/gecco2018/water_quality.csv.gz] --out-dir /tmp/gecco
 *
 * writes <out-dir>/readings.csv and <out-dir>/labels.csv.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { geccoToTables } from '../scoring/gecco-adapter.js';
import { printedHelp, usageError } from './usage.js';

const USAGE = 'usage: gecco [--input water_quality.csv.gz] --out-dir <dir>';

async function main(): Promise<number> {
  if (printedHelp(USAGE)) return 0;
  let values;
  try {
    ({ values } = parseArgs({ options: { input: { type: 'string', default: '/work/shared/datasets/gecco2018/water_quality.csv.gz' }, 'out-dir': { type: 'string' } } }));
  } catch (error) {
    return usageError(USAGE, (error as Error).message);
  }
  const dir = values['out-dir'];
  if (!dir) return usageError(USAGE);
  try {
    const t = geccoToTables(await readFile(values.input));
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'readings.csv'), t.readingsCsv);
    await writeFile(join(dir, 'labels.csv'), t.labelsCsv);
    process.stdout.write(`${t.rows} rows, ${t.eventRows} event rows -> ${join(dir, 'readings.csv')}, ${join(dir, 'labels.csv')}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
}

process.exitCode = await main();
