import { labelsCsv } from './scenario.js';
import type { EventKind, Scenario, ScenarioEvent } from './scenario.js';
import { createOutfallModel, uniform } from './outfall-model.js';
import { withEvents } from './scenario-model.js';

/**
 * The labelled scenario suite the anomaly detectors are scored on: for one
 * illegal-discharge pattern and one seed, a plant of outfalls sampled every
 * minute for weeks, the way the cloud stores them, with the pattern injected
 * a few times per outfall in the last part of the record only (the detectors
 * fit on the leading part). Analyzer timeouts leave gaps in clean data too,
 * as they do at real plants. `clean` injects nothing: every alert on it is a
 * false alarm.
 */
export const SUITE_PATTERNS = ['spike', 'bypass-dump', 'dilution', 'flatline', 'replay', 'ph-excursion', 'clean'] as const;
export type SuitePattern = (typeof SUITE_PATTERNS)[number];

export interface SuiteOptions {
  readonly pattern: SuitePattern;
  readonly seed: number;
  /** Default 8. */
  readonly outfalls?: number;
  /** Length of the record, days. Default 21. */
  readonly days?: number;
  /** Sampling interval, ms. Default 60,000 (HJ 212 minute data). */
  readonly stepMs?: number;
  /** Leading share of the record that stays clean (the detectors' fitting part). Default 0.7. */
  readonly fitFraction?: number;
  /** Injected events per outfall. Default 3. */
  readonly eventsPerOutfall?: number;
}

export interface SuiteOutfall {
  readonly outfall: string;
  readonly seed: number;
}

export interface SuiteScenario extends Scenario {
  readonly stepMs: number;
  readonly end: number;
  readonly suiteOutfalls: readonly SuiteOutfall[];
  /** Analyzer timeouts: no sample is stored while one lasts. Not labelled: they are not discharge. */
  readonly gaps: readonly ScenarioEvent[];
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Midnight, 1 June 2024, China Standard Time. */
const SUITE_START = Date.parse('2024-06-01T00:00:00+08:00');

/** Channel name in the detection CSV, pollutant code, and the resolution the analyzers report. */
export const SUITE_CHANNELS = [
  ['flow', 'w00000', 0.01],
  ['cod', 'w01018', 0.1],
  ['nh3n', 'w21003', 0.01],
  ['ph', 'w01001', 0.01],
  ['tp', 'w21011', 0.001],
  ['tn', 'w21001', 0.01],
] as const;

const SPIKE_POLLUTANTS = ['w01018', 'w21003', 'w21011', 'w21001'] as const;

/** Duration range (minutes) per pattern, and the local hours it may start in. */
const SHAPES: Record<Exclude<SuitePattern, 'clean'>, { minutes: [number, number]; hours: [number, number] }> = {
  spike: { minutes: [10, 40], hours: [0, 24] },
  // Dumps happen when nobody is looking: between midnight and 5 a.m.
  'bypass-dump': { minutes: [20, 90], hours: [0, 5] },
  dilution: { minutes: [30, 120], hours: [0, 24] },
  flatline: { minutes: [30, 180], hours: [0, 24] },
  replay: { minutes: [60, 240], hours: [0, 24] },
  'ph-excursion': { minutes: [10, 45], hours: [0, 24] },
};

/** The suite's events and gaps for `options`; the same options give the same scenario. */
export function suiteScenario(options: SuiteOptions): SuiteScenario {
  const outfallCount = options.outfalls ?? 8;
  const days = options.days ?? 21;
  const stepMs = options.stepMs ?? MINUTE;
  const fit = options.fitFraction ?? 0.7;
  const perOutfall = options.eventsPerOutfall ?? 3;
  const seed = options.seed >>> 0;
  const end = SUITE_START + days * DAY;
  const testStart = SUITE_START + Math.ceil((fit * days * DAY) / HOUR) * HOUR;
  let draws = 0;
  const draw = (channel: number): number => uniform(seed, 1000 + channel, draws++);
  const between = (lo: number, hi: number, channel: number): number => lo + (hi - lo) * draw(channel);

  const suiteOutfalls: SuiteOutfall[] = [];
  const events: ScenarioEvent[] = [];
  const gaps: ScenarioEvent[] = [];
  for (let o = 0; o < outfallCount; o += 1) {
    const outfall = `ent-${String.fromCharCode(97 + (o % 26))}-dw${String(1 + Math.floor(o / 26)).padStart(3, '0')}`;
    suiteOutfalls.push({ outfall, seed: (seed * 7919 + o * 104_729 + 17) >>> 0 });
    // Two analyzer timeouts (5-30 min) anywhere in the record.
    for (let g = 0; g < 2; g += 1) {
      const start = SUITE_START + Math.floor(between(0, days * DAY - HOUR, 1) / MINUTE) * MINUTE;
      gaps.push({ outfall, kind: 'timeout', start, end: start + Math.round(between(5, 30, 2)) * MINUTE });
    }
    if (options.pattern === 'clean') continue;
    const shape = SHAPES[options.pattern];
    // One event per slice of the detection part, so they never overlap and each has clean data around it.
    const slice = Math.floor((end - testStart) / perOutfall);
    for (let k = 0; k < perOutfall; k += 1) {
      const sliceStart = testStart + k * slice;
      const day = sliceStart + ((SUITE_START - sliceStart) % DAY + DAY) % DAY;
      const hour = between(shape.hours[0], shape.hours[1], 3);
      let start = day + Math.floor((hour * HOUR) / MINUTE) * MINUTE;
      if (start < sliceStart + 2 * HOUR) start += DAY;
      const length = Math.round(between(shape.minutes[0], shape.minutes[1], 4)) * MINUTE;
      if (start + length > sliceStart + slice - 2 * HOUR) start = sliceStart + 2 * HOUR;
      events.push(suiteEvent(options.pattern, outfall, start, start + length, between(0, 1, 5), between(0, 1, 6)));
    }
  }
  return { start: SUITE_START, speed: 1, outfalls: undefined, events, stepMs, end, suiteOutfalls, gaps };
}

function suiteEvent(pattern: Exclude<SuitePattern, 'clean'>, outfall: string, start: number, end: number, a: number, b: number): ScenarioEvent {
  const kind: EventKind = pattern;
  switch (pattern) {
    case 'spike':
      return { outfall, kind, start, end, pollutant: SPIKE_POLLUTANTS[Math.floor(a * SPIKE_POLLUTANTS.length)]!, factor: 2.5 + 2.5 * b };
    case 'bypass-dump':
      return { outfall, kind, start, end, factor: 2 + 2 * a };
    case 'dilution':
      return { outfall, kind, start, end, factor: 2 + 2 * a };
    case 'replay':
      // Yesterday's values, or last week's.
      return { outfall, kind, start, end, replayFromMs: a < 0.7 ? DAY : 7 * DAY };
    case 'ph-excursion':
      // Acid (2.5-5) or alkaline (9.6-11.5) discharge.
      return { outfall, kind, start, end, value: a < 0.5 ? 2.5 + 2.5 * b : 9.6 + 1.9 * b };
    default:
      return { outfall, kind, start, end };
  }
}

const round = (value: number, resolution: number): number => Math.round(value / resolution) * resolution;
const decimals = (resolution: number): number => Math.max(0, -Math.floor(Math.log10(resolution)));

/**
 * The readings as the detection CSV `ts,outfall,flow,cod,nh3n,ph,tp,tn`, rows
 * in time order (outfalls interleaved), values at the analyzers' resolution,
 * nothing during a gap.
 */
export function suiteReadingsCsv(s: SuiteScenario): string {
  const models = s.suiteOutfalls.map((o) => ({
    outfall: o.outfall,
    model: withEvents(createOutfallModel({ seed: o.seed }), s.events.filter((e) => e.outfall === o.outfall)),
    gaps: s.gaps.filter((g) => g.outfall === o.outfall),
  }));
  const lines = [`ts,outfall,${SUITE_CHANNELS.map(([name]) => name).join(',')}`];
  for (let ts = s.start; ts < s.end; ts += s.stepMs) {
    const iso = new Date(ts).toISOString();
    for (const m of models) {
      if (m.gaps.some((g) => ts >= g.start && ts < g.end)) continue;
      const v = m.model.valuesAt(ts);
      lines.push(`${iso},${m.outfall},${SUITE_CHANNELS.map(([, code, res]) => round(v[code], res).toFixed(decimals(res))).join(',')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The ground truth, `outfall,kind,start,end` (firmware-sim's labels format). */
export function suiteLabelsCsv(s: SuiteScenario): string {
  return labelsCsv(s);
}
