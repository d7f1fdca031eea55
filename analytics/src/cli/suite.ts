#!/usr/bin/env node
/**
 * Prints the detectors' scores on firmware-sim's scenario suite, one row per pattern:
 *
 *   node analytics/dist/cli/suite.js [--seeds 1,2,3] [--outfalls 8] [--days 21] [--detectors residual,flatline,replay,ph-range]
 *
 * Goals (issue 6): event F1 >= 0.9, median delay <= 3 samples, <= 1 false alarm per outfall-week of clean data.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_DETECTORS, DETECTOR_NAMES } from '../detectors/ensemble-detector.js';
import { SUITE_PATTERNS, scoreSuitePattern } from '../scoring/suite-report.js';
import { printedHelp, usageError } from './usage.js';

const USAGE = `usage: suite [--seeds 1,2,3] [--outfalls 8] [--days 21] [--detectors ${DETECTOR_NAMES.join(',')}]`;

const positiveIntegers = (text: string): number[] | undefined => {
  const values = text.split(',').map((v) => Number(v.trim()));
  return values.length > 0 && values.every((v) => Number.isInteger(v) && v > 0) ? values : undefined;
};

async function main(): Promise<number> {
  if (printedHelp(USAGE)) return 0;
  let values;
  try {
    ({ values } = parseArgs({ options: { seeds: { type: 'string', default: '1,2,3' }, outfalls: { type: 'string', default: '8' }, days: { type: 'string', default: '21' }, detectors: { type: 'string' } } }));
  } catch (error) {
    return usageError(USAGE, (error as Error).message);
  }
  const seeds = positiveIntegers(values.seeds);
  if (!seeds) return usageError(USAGE, `--seeds must be positive integers separated by commas, got "${values.seeds}"`);
  for (const flag of ['outfalls', 'days'] as const) {
    if (positiveIntegers(values[flag])?.length !== 1) return usageError(USAGE, `--${flag} must be a positive integer, got "${values[flag]}"`);
  }
  try {
    const detectors = values.detectors ? values.detectors.split(',') : DEFAULT_DETECTORS;
    process.stdout.write(`detectors ${detectors.join('+')}; ${values.outfalls} outfalls x ${values.days} days per dataset, minute data, fit on the first 70%\n`);
    process.stdout.write('pattern        seed  labels  found  FAs  FA/outfall-wk  event-P  event-R  event-F1  point-F1  delay  readings/s\n');
    for (const pattern of SUITE_PATTERNS) {
      for (const seed of seeds) {
        const r = await scoreSuitePattern({ pattern, seed, outfalls: Number(values.outfalls), days: Number(values.days) }, detectors);
        const e = r.scores.event;
        const rate = r.readings / ((r.fitMs + r.detectMs) / 1000);
        process.stdout.write(
          `${pattern.padEnd(14)} ${String(seed).padStart(4)}  ${String(e.labelled).padStart(6)}  ${String(e.detectedLabels).padStart(5)}  ${String(e.falseAlarms).padStart(3)}  ${r.falseAlarmsPerOutfallWeek.toFixed(2).padStart(13)}  ${e.precision.toFixed(3).padStart(7)}  ${e.recall.toFixed(3).padStart(7)}  ${e.f1.toFixed(3).padStart(8)}  ${r.scores.point.f1.toFixed(3).padStart(8)}  ${String(r.scores.medianDelaySamples ?? '-').padStart(5)}  ${Math.round(rate).toString().padStart(10)}\n`,
        );
      }
    }
    return 0;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
}

process.exitCode = await main();
