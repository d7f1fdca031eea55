import type { DetectedEvent, LabelledEvent } from './labels.js';
import { formatScores, scoreEvents } from './scoring.js';

const grid = [{ outfall: 'o1', ts: Array.from({ length: 20 }, (_, i) => i) }];
const label = (start: number, end: number, kind = 'spike'): LabelledEvent => ({ outfall: 'o1', kind, start, end });
const event = (start: number, end: number): DetectedEvent => ({ outfall: 'o1', kind: 'spike', start, end, score: 2 });

describe('scoreEvents', () => {
  it('counts points, events, false alarms and delay on a worked example', () => {
    // Labels cover samples 2..5 and 10..11 (end exclusive). Events: 4..7 hits the first
    // label 2 samples late; 15..15 is a false alarm; the second label is missed.
    const s = scoreEvents([event(4, 7), event(15, 15)], [label(2, 6), label(10, 12, 'flatline')], grid);
    expect(s.point).toMatchObject({ truePositives: 2, predicted: 5, actual: 6 });
    expect(s.point.precision).toBeCloseTo(2 / 5);
    expect(s.point.recall).toBeCloseTo(2 / 6);
    expect(s.event).toMatchObject({ labelled: 2, detectedLabels: 1, events: 2, falseAlarms: 1, precision: 0.5, recall: 0.5, f1: 0.5 });
    expect(s.compositeF1).toBeCloseTo((2 * 0.4 * 0.5) / 0.9);
    expect(s.medianDelaySamples).toBe(2);
    expect(s.byKind).toEqual({ spike: { labelled: 1, detected: 1, medianDelaySamples: 2 }, flatline: { labelled: 1, detected: 0, medianDelaySamples: null } });
    expect(formatScores(s)).toContain('1 false alarms');
  });

  it('flagging everything gets event recall 1 but point precision, and so composite F1, stays low', () => {
    const s = scoreEvents([event(0, 19)], [label(3, 4)], grid);
    expect(s.event.f1).toBe(1);
    expect(s.point.precision).toBeCloseTo(1 / 20);
    expect(s.compositeF1).toBeLessThan(0.1);
  });

  it('ignores labels with no sample in the scored part and events of other outfalls', () => {
    const s = scoreEvents([{ ...event(3, 3), outfall: 'o2' }], [label(-10, -5), label(3, 4)], grid);
    expect(s.event).toMatchObject({ labelled: 1, detectedLabels: 0, events: 0, falseAlarms: 0 });
    expect(s.medianDelaySamples).toBeNull();
  });

  it('a one-instant label (start == end) covers that sample', () => {
    const s = scoreEvents([event(5, 5)], [label(5, 5)], grid);
    expect(s.point).toMatchObject({ truePositives: 1, predicted: 1, actual: 1 });
  });
});
