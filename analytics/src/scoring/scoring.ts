/**
 * Scores detected events against labels on a grid of sample times (the
 * detection part's readings): point-wise and event-wise precision, recall and
 * F1, false alarms, composite F1 (event recall with point precision, Garg et
 * al. 2021) and the median detection delay in samples.
 */
import type { DetectedEvent, LabelledEvent } from './labels.js';

export interface ScoringGrid {
  readonly outfall: string;
  /** Sample times of the scored part, ascending. */
  readonly ts: readonly number[];
}

export interface PrecisionRecall {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

export interface Scores {
  readonly point: PrecisionRecall & { readonly truePositives: number; readonly predicted: number; readonly actual: number };
  readonly event: PrecisionRecall & { readonly labelled: number; readonly detectedLabels: number; readonly events: number; readonly falseAlarms: number };
  readonly compositeF1: number;
  /** Median over detected labels of (first flagged sample - first labelled sample), in samples; null when none was detected. */
  readonly medianDelaySamples: number | null;
  /** Per label kind: labelled, detected, median delay. */
  readonly byKind: Readonly<Record<string, { labelled: number; detected: number; medianDelaySamples: number | null }>>;
}

const f1 = (p: number, r: number): number => (p + r > 0 ? (2 * p * r) / (p + r) : 0);
const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);

function medianOf(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const inLabel = (l: LabelledEvent, t: number): boolean => (l.end > l.start ? t >= l.start && t < l.end : t === l.start);

export function scoreEvents(events: readonly DetectedEvent[], labels: readonly LabelledEvent[], grid: readonly ScoringGrid[]): Scores {
  let tp = 0;
  let predicted = 0;
  let actual = 0;
  let falseAlarms = 0;
  let eventCount = 0;
  const delays: number[] = [];
  const kinds = new Map<string, { labelled: number; detected: number; delays: number[] }>();
  for (const g of grid) {
    const evs = events.filter((e) => e.outfall === g.outfall);
    const labs = labels.filter((l) => l.outfall === g.outfall);
    const pred = g.ts.map((t) => evs.some((e) => t >= e.start && t <= e.end));
    const act = g.ts.map((t) => labs.some((l) => inLabel(l, t)));
    for (let i = 0; i < g.ts.length; i += 1) {
      if (pred[i]) predicted += 1;
      if (act[i]) actual += 1;
      if (pred[i] && act[i]) tp += 1;
    }
    // Labels in scope: those with at least one sample in the grid, as index ranges.
    const spans = labs
      .map((l) => {
        const idx = g.ts.map((t, i) => (inLabel(l, t) ? i : -1)).filter((i) => i >= 0);
        return idx.length ? { l, first: idx[0]!, last: idx[idx.length - 1]! } : undefined;
      })
      .filter((x) => x !== undefined);
    for (const { l, first, last } of spans) {
      const k = kinds.get(l.kind) ?? { labelled: 0, detected: 0, delays: [] };
      kinds.set(l.kind, k);
      k.labelled += 1;
      let hit = -1;
      for (let i = first; i <= last; i += 1) if (pred[i]) { hit = i; break; }
      if (hit >= 0) {
        k.detected += 1;
        k.delays.push(hit - first);
        delays.push(hit - first);
      }
    }
    const lo = g.ts[0] ?? Number.POSITIVE_INFINITY;
    const hi = g.ts[g.ts.length - 1] ?? Number.NEGATIVE_INFINITY;
    for (const e of evs) {
      if (e.end < lo || e.start > hi) continue;
      eventCount += 1;
      const overlaps = spans.some(({ first, last }) => e.start <= g.ts[last]! && e.end >= g.ts[first]!);
      if (!overlaps) falseAlarms += 1;
    }
  }
  const labelled = [...kinds.values()].reduce((n, k) => n + k.labelled, 0);
  const detectedLabels = [...kinds.values()].reduce((n, k) => n + k.detected, 0);
  const pointP = ratio(tp, predicted);
  const pointR = ratio(tp, actual);
  const eventP = ratio(eventCount - falseAlarms, eventCount);
  const eventR = ratio(detectedLabels, labelled);
  const byKind: Record<string, { labelled: number; detected: number; medianDelaySamples: number | null }> = {};
  for (const [kind, k] of kinds) byKind[kind] = { labelled: k.labelled, detected: k.detected, medianDelaySamples: medianOf(k.delays) };
  return {
    point: { precision: pointP, recall: pointR, f1: f1(pointP, pointR), truePositives: tp, predicted, actual },
    event: { precision: eventP, recall: eventR, f1: f1(eventP, eventR), labelled, detectedLabels, events: eventCount, falseAlarms },
    compositeF1: f1(pointP, eventR),
    medianDelaySamples: medianOf(delays),
    byKind,
  };
}

const f = (x: number): string => x.toFixed(3);

/** The scores as a few lines of text. */
export function formatScores(s: Scores): string {
  const lines = [
    `point  P ${f(s.point.precision)}  R ${f(s.point.recall)}  F1 ${f(s.point.f1)}  (${s.point.truePositives} of ${s.point.predicted} flagged samples labelled; ${s.point.actual} labelled)`,
    `event  P ${f(s.event.precision)}  R ${f(s.event.recall)}  F1 ${f(s.event.f1)}  (${s.event.detectedLabels}/${s.event.labelled} labels detected; ${s.event.events} events, ${s.event.falseAlarms} false alarms)`,
    `composite F1 ${f(s.compositeF1)}  median delay ${s.medianDelaySamples ?? '-'} samples`,
  ];
  for (const [kind, k] of Object.entries(s.byKind)) lines.push(`  ${kind || '(no kind)'}: ${k.detected}/${k.labelled} detected, median delay ${k.medianDelaySamples ?? '-'} samples`);
  return `${lines.join('\n')}\n`;
}
