/**
 * Ground truth and detected events as the scorer reads them.
 * Labels: CSV `outfall,kind,start,end` (firmware-sim's labels file); an event
 * covers [start, end) — a sample at `end` is outside it — or just `start` when
 * start == end. Detected events: JSON lines `{"outfall","start","end","kind","score"}`,
 * covering [start, end] inclusive (the first and last flagged samples).
 */
import type { Alert } from '../detectors/detector.js';
import { DetectionError } from '../detectors/detector.js';
import { parseTimestamp } from '../series/readings-csv.js';

export interface LabelledEvent {
  readonly outfall: string;
  readonly kind: string;
  readonly start: number;
  readonly end: number;
}

export interface DetectedEvent {
  readonly outfall: string;
  readonly kind: string;
  readonly start: number;
  readonly end: number;
  readonly score: number;
}

export function parseLabelsCsv(text: string): LabelledEvent[] {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new DetectionError('BAD_LABELS', `line 1: the labels header needs ${name}, got "${lines[0] ?? ''}"`);
    return i;
  };
  const [o, k, s, e] = [col('outfall'), col('kind'), col('start'), col('end')];
  const out: LabelledEvent[] = [];
  for (let n = 1; n < lines.length; n += 1) {
    if (lines[n]!.trim() === '') continue;
    const cells = lines[n]!.split(',').map((c) => c.trim());
    const start = parseTimestamp(cells[s] ?? '');
    const end = parseTimestamp(cells[e] ?? '');
    if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) throw new DetectionError('BAD_LABELS', `line ${n + 1}: bad start/end "${cells[s]}", "${cells[e]}"`);
    out.push({ outfall: cells[o] ?? '', kind: cells[k] ?? '', start, end });
  }
  return out;
}

/** One JSON line per alert, in the shape (times as ISO 8601 UTC). */
export function alertToJsonLine(a: Alert): string {
  return JSON.stringify({ outfall: a.outfall, start: new Date(a.start).toISOString(), end: new Date(a.end).toISOString(), kind: a.kind, score: Number(a.score.toFixed(3)) });
}

export function parseEventsJsonl(text: string): DetectedEvent[] {
  const out: DetectedEvent[] = [];
  text.split(/\r?\n/).forEach((line, n) => {
    if (line.trim() === '') return;
    let v: Record<string, unknown>;
    try {
      v = JSON.parse(line) as Record<string, unknown>;
    } catch (cause) {
      throw new DetectionError('BAD_EVENTS', `line ${n + 1}: not JSON`, { cause });
    }
    const start = parseTimestamp(String(v['start']));
    const end = parseTimestamp(String(v['end']));
    if (typeof v['outfall'] !== 'string' || !Number.isFinite(start) || !Number.isFinite(end)) {
      throw new DetectionError('BAD_EVENTS', `line ${n + 1}: needs outfall, start and end`);
    }
    out.push({ outfall: v['outfall'], kind: String(v['kind'] ?? ''), start, end, score: Number(v['score'] ?? 0) });
  });
  return out;
}
