#!/usr/bin/env node
/**
 * Detects events in a readings CSV, fitting on its leading part:
 *
 *   node analytics/dist/cli/detect.js --csv readings.csv [--fit 0.7] [--detectors rolling-zscore,flatline,ph-range,dilution] [--min-samples 1] [--evidence]
 *
 * Prints one JSON line per event: {"outfall","start","end","kind","score"}
 * (with --evidence, the whole alert). Exit 0 on success, 2 on bad input.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { DEFAULT_DETECTORS, DETECTOR_NAMES, createDetector } from '../detectors/ensemble-detector.js';
import { alertToJsonLine } from '../scoring/labels.js';
import { parseReadingsCsv, splitForFit } from '../series/readings-csv.js';
import { printedHelp, usageError } from './usage.js';

const USAGE = `usage: detect --csv <readings.csv> [--fit 0.7] [--detectors ${DETECTOR_NAMES.join(',')}] [--min-samples 1] [--evidence]`;

async function main(): Promise<number> {
  if (printedHelp(USAGE)) return 0;
  let values;
  try {
    ({ values } = parseArgs({ options: { csv: { type: 'string' }, fit: { type: 'string', default: '0.7' }, detectors: { type: 'string' }, 'min-samples': { type: 'string' }, evidence: { type: 'boolean', default: false } } }));
  } catch (error) {
    return usageError(USAGE, (error as Error).message);
  }
  if (!values.csv) return usageError(USAGE);
  try {
    const table = parseReadingsCsv(await readFile(values.csv, 'utf8'));
    const { train, test } = splitForFit(table, Number(values.fit));
    const minSamples = values['min-samples'] === undefined ? undefined : Number(values['min-samples']);
    if (minSamples !== undefined && !(Number.isInteger(minSamples) && minSamples >= 1)) throw new Error(`--min-samples must be an integer >= 1, got ${values['min-samples']}`);
    const names = values.detectors ? values.detectors.split(',').map((s) => s.trim()) : DEFAULT_DETECTORS;
    const detector = await createDetector(names, minSamples === undefined ? {} : { minSamples });
    await detector.fit(train);
    const alerts = await detector.detect(test);
    const out = alerts.map((a) => (values.evidence ? JSON.stringify(a) : alertToJsonLine(a))).join('\n');
    process.stdout.write(out.length ? `${out}\n` : '');
    return 0;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
}

process.exitCode = await main();
