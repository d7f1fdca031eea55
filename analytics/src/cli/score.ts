#!/usr/bin/env node
/**
 * Scores detected events against labels:
 *
 *   node analytics/dist/cli/score.js --events events.jsonl --labels labels.csv [--csv readings.csv --fit 0.7] [--json]
 *
 * With --csv, points are the readings of the detection part (the rows after
 * the --fit fraction, as detect.js split them) and only labels with a sample
 * there count. Without it, points are a grid every --step-ms (default 60000)
 * per outfall over the labels and events, and every label counts.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { DetectedEvent, LabelledEvent } from '../scoring/labels.js';
import { parseEventsJsonl, parseLabelsCsv } from '../scoring/labels.js';
import { parseReadingsCsv, splitForFit } from '../series/readings-csv.js';
import type { ScoringGrid } from '../scoring/scoring.js';
import { formatScores, scoreEvents } from '../scoring/scoring.js';
import { printedHelp, usageError } from './usage.js';

const USAGE = 'usage: score --events <events.jsonl> --labels <labels.csv> [--csv <readings.csv> --fit 0.7 | --step-ms 60000] [--json]';

function timeGrid(events: readonly DetectedEvent[], labels: readonly LabelledEvent[], stepMs: number): ScoringGrid[] {
  const spans = new Map<string, [number, number]>();
  for (const x of [...events, ...labels]) {
    const s = spans.get(x.outfall) ?? [x.start, x.end];
    spans.set(x.outfall, [Math.min(s[0], x.start), Math.max(s[1], x.end)]);
  }
  return [...spans].map(([outfall, [lo, hi]]) => {
    const ts: number[] = [];
    for (let t = lo; t <= hi; t += stepMs) ts.push(t);
    return { outfall, ts };
  });
}

async function main(): Promise<number> {
  if (printedHelp(USAGE)) return 0;
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        events: { type: 'string' },
        labels: { type: 'string' },
        csv: { type: 'string' },
        fit: { type: 'string', default: '0.7' },
        'step-ms': { type: 'string', default: '60000' },
        json: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    return usageError(USAGE, (error as Error).message);
  }
  if (!values.events || !values.labels) return usageError(USAGE);
  try {
    const events = parseEventsJsonl(await readFile(values.events, 'utf8'));
    const labels = parseLabelsCsv(await readFile(values.labels, 'utf8'));
    let grid: ScoringGrid[];
    if (values.csv) {
      grid = splitForFit(parseReadingsCsv(await readFile(values.csv, 'utf8')), Number(values.fit)).test.map((s) => ({ outfall: s.outfall, ts: s.ts }));
    } else {
      const step = Number(values['step-ms']);
      if (!(step > 0)) throw new Error(`--step-ms must be > 0, got ${values['step-ms']}`);
      grid = timeGrid(events, labels, step);
    }
    const scores = scoreEvents(events, labels, grid);
    process.stdout.write(values.json ? `${JSON.stringify(scores)}\n` : formatScores(scores));
    return 0;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
}

process.exitCode = await main();
