/**
 * Scores a detector on firmware-sim's labelled scenario suite, one pattern at
 * a time, the way the CLI would see it: the suite's CSV text is parsed, split
 * at the fitting fraction, fitted, detected and scored against the labels.
 */
import { SUITE_PATTERNS, suiteLabelsCsv, suiteReadingsCsv, suiteScenario } from '@qingliu/firmware-sim';
import type { SuiteOptions, SuitePattern } from '@qingliu/firmware-sim';
import type { Alert } from '../detectors/detector.js';
import { DEFAULT_DETECTORS, createDetector } from '../detectors/ensemble-detector.js';
import { parseLabelsCsv } from './labels.js';
import { parseReadingsCsv, splitForFit } from '../series/readings-csv.js';
import type { Scores } from './scoring.js';
import { scoreEvents } from './scoring.js';

export interface SuiteResult {
  readonly pattern: SuitePattern;
  readonly seed: number;
  readonly scores: Scores;
  readonly alerts: readonly Alert[];
  /** Outfall-weeks of unlabelled data in the detection part. */
  readonly cleanOutfallWeeks: number;
  readonly falseAlarmsPerOutfallWeek: number;
  readonly readings: number;
  readonly fitMs: number;
  readonly detectMs: number;
}

const WEEK_MS = 7 * 86_400_000;

export async function scoreSuitePattern(
  options: SuiteOptions,
  detectors: readonly string[] = DEFAULT_DETECTORS,
  fit = options.fitFraction ?? 0.7,
): Promise<SuiteResult> {
  const scenario = suiteScenario(options);
  const table = parseReadingsCsv(suiteReadingsCsv(scenario));
  const labels = parseLabelsCsv(suiteLabelsCsv(scenario));
  const { train, test } = splitForFit(table, fit);
  const detector = await createDetector(detectors);
  const t0 = performance.now();
  await detector.fit(train);
  const t1 = performance.now();
  const alerts = await detector.detect(test);
  const t2 = performance.now();
  const grid = test.map((s) => ({ outfall: s.outfall, ts: s.ts }));
  const scores = scoreEvents(alerts, labels, grid);
  let cleanMs = 0;
  for (const s of test) {
    const span = (s.ts[s.ts.length - 1] ?? 0) - (s.ts[0] ?? 0);
    const labelled = labels.filter((l) => l.outfall === s.outfall).reduce((sum, l) => sum + (l.end - l.start), 0);
    cleanMs += Math.max(0, span - labelled);
  }
  const cleanOutfallWeeks = cleanMs / WEEK_MS;
  return {
    pattern: options.pattern,
    seed: options.seed,
    scores,
    alerts,
    cleanOutfallWeeks,
    falseAlarmsPerOutfallWeek: scores.event.falseAlarms / cleanOutfallWeeks,
    readings: table.rows.length,
    fitMs: t1 - t0,
    detectMs: t2 - t1,
  };
}

export { SUITE_PATTERNS };
