/**
 * Replay detector (data fraud): an outfall sending a stretch of values it
 * already sent, e.g. yesterday's clean readings played back while the plant
 * discharges. Real analyzers carry noise, so a run of `k` consecutive
 * multi-channel samples never repeats exactly; a replayed stretch repeats
 * every one of its windows. Each window of `k` samples (all channels, as
 * reported) is hashed and looked up in the outfall's history.
 *
 * `k` is learned per outfall: the smallest length from `minWindow` whose
 * windows never repeat on the fitting part (coarse sensors repeat more), so
 * the fitting part has no false alarm by construction. Windows in which every
 * channel holds still are left to the flatline detector.
 */
import type { Alert, Detector, OutfallSeries } from './detector.js';
import { DetectionError } from './detector.js';
import { findRuns } from './runs.js';

export interface ReplayDetectorOptions {
  /** Shortest window, samples (the delay to the first alert is window - 1). */
  readonly minWindow: number;
  readonly maxWindow: number;
  /** History kept per outfall, ms (how far back a replay can come from). */
  readonly historyMs: number;
}

export const defaultReplayOptions: ReplayDetectorOptions = { minWindow: 3, maxWindow: 12, historyMs: 35 * 86_400_000 };

interface OutfallHistory {
  readonly window: number;
  readonly channels: readonly string[];
  /** Window key -> time of the window's last sample, first seen. */
  readonly seen: Map<string, number>;
  /** Last `window - 1` rows, carried into the next call. */
  tail: string[];
}

/** One sample's values as a key part; undefined when any channel is missing. */
function rowKey(s: OutfallSeries, channels: readonly string[], i: number): string | undefined {
  let key = '';
  for (const c of channels) {
    const v = s.channels[c]![i]!;
    if (!Number.isFinite(v)) return undefined;
    key += `${v},`;
  }
  return key;
}

export class ReplayDetector implements Detector {
  readonly name = 'replay';
  private readonly options: ReplayDetectorOptions;
  private readonly history = new Map<string, OutfallHistory>();
  private readonly tooCoarse = new Set<string>();

  constructor(options: Partial<ReplayDetectorOptions> = {}) {
    this.options = { ...defaultReplayOptions, ...options };
    if (!(Number.isInteger(this.options.minWindow) && this.options.minWindow >= 2 && this.options.maxWindow >= this.options.minWindow)) {
      throw new DetectionError('BAD_OPTION', `replay windows must satisfy 2 <= minWindow <= maxWindow, got ${this.options.minWindow}..${this.options.maxWindow}`);
    }
  }

  async fit(train: readonly OutfallSeries[]): Promise<void> {
    for (const s of train) {
      const channels = Object.keys(s.channels).sort();
      let window = this.options.minWindow;
      while (window <= this.options.maxWindow && this.repeats(s, channels, window) > 0) window += 1;
      // Still repeating at the longest window: the analyzers are too coarse to tell a replay from chance.
      if (window > this.options.maxWindow) {
        this.history.delete(s.outfall);
        this.tooCoarse.add(s.outfall);
        continue;
      }
      const h: OutfallHistory = { window, channels, seen: new Map(), tail: [] };
      this.scan(s, h, () => {});
      this.history.set(s.outfall, h);
    }
  }

  async detect(test: readonly OutfallSeries[]): Promise<Alert[]> {
    const alerts: Alert[] = [];
    for (const s of test) {
      const h = this.history.get(s.outfall);
      if (!h && this.tooCoarse.has(s.outfall)) continue;
      if (!h) throw new DetectionError('NOT_FITTED', `${this.name}: outfall ${s.outfall} was not in the fitting part`);
      const ratio = new Array<number>(s.ts.length).fill(0);
      const source = new Array<number>(s.ts.length).fill(Number.NaN);
      this.scan(s, h, (i, firstSeen) => {
        ratio[i] = 1 + (s.ts[i]! - firstSeen) / 86_400_000;
        source[i] = firstSeen;
      });
      for (const run of findRuns(ratio, { maxGap: h.window - 1, minSamples: 1 })) {
        // The replayed stretch began window - 1 samples before the first repeated window ended.
        const from = Math.max(0, run.first - h.window + 1);
        const lagMs = s.ts[run.first]! - source[run.first]!;
        const readings = [];
        for (let i = run.first; i <= run.last && readings.length < 20; i += 1) {
          if (!Number.isFinite(source[i]!)) continue;
          for (const c of h.channels) readings.push({ ts: s.ts[i]!, channel: c, value: s.channels[c]![i]!, expected: Number.NaN });
        }
        alerts.push({
          outfall: s.outfall,
          kind: 'replay',
          start: s.ts[run.first]!,
          end: s.ts[run.last]!,
          score: run.score,
          evidence: {
            detector: this.name,
            threshold: h.window,
            readings: readings.slice(0, 20),
            note: `from ${new Date(s.ts[from]!).toISOString()} every channel repeats, to the last digit, what this outfall sent ${formatLag(lagMs)} earlier (windows of ${h.window} samples): replayed data`,
          },
        });
      }
      this.prune(h, s.ts[s.ts.length - 1] ?? 0);
    }
    return alerts;
  }

  /** Windows of `window` samples on `s` that repeat an earlier one (the fitting-time check). */
  private repeats(s: OutfallSeries, channels: readonly string[], window: number): number {
    let count = 0;
    this.scan(s, { window, channels, seen: new Map(), tail: [] }, () => {
      count += 1;
    });
    return count;
  }

  /** Feeds `s` through the outfall's window history; `onRepeat(i, firstSeen)` for each repeated window. */
  private scan(s: OutfallSeries, h: OutfallHistory, onRepeat: (i: number, firstSeen: number) => void): void {
    const rows = h.tail;
    for (let i = 0; i < s.ts.length; i += 1) {
      const row = rowKey(s, h.channels, i);
      if (row === undefined) {
        rows.length = 0; // a gap breaks every window across it
        continue;
      }
      rows.push(row);
      if (rows.length > h.window) rows.shift();
      if (rows.length < h.window) continue;
      if (rows.every((r) => r === rows[0])) continue; // frozen: the flatline detector's case
      const key = rows.join('|');
      const firstSeen = h.seen.get(key);
      if (firstSeen === undefined) h.seen.set(key, s.ts[i]!);
      else onRepeat(i, firstSeen);
    }
    h.tail = rows.slice(-(h.window - 1));
  }

  private prune(h: OutfallHistory, now: number): void {
    const oldest = now - this.options.historyMs;
    for (const [key, t] of h.seen) if (t < oldest) h.seen.delete(key);
  }
}

function formatLag(ms: number): string {
  const hours = ms / 3_600_000;
  return hours >= 48 ? `${(hours / 24).toFixed(1)} days` : `${hours.toFixed(1)} h`;
}
