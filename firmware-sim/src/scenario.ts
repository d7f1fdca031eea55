import { readFile, writeFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { POLLUTANT_CODES, QingliuError } from '@qingliu/protocol';
import type { PollutantCode } from '@qingliu/protocol';
import type { OutfallSpec } from './plant.js';

/** What a scripted event does to an outfall. */
export const EVENT_KINDS = [
  // Illegal discharge and data fraud (labelled anomalies):
  'spike', // one pollutant x factor (default COD x4)
  'bypass-dump', // untreated water: flow x factor (default 3), COD/NH3-N/TP/TN x2.5
  'dilution', // flow x factor (default 3) while every concentration / factor
  'flatline', // every value frozen at its value when the event starts
  'replay', // values replayed from `replayFrom` earlier (default: the event's own length)
  'ph-excursion', // pH held at `value` (default 3.0)
  // Analyzer faults:
  'timeout', // the device stops answering
  'exception', // every request gets Modbus exception `code` (default 4, server device failure)
  'maintenance', // maintenance bit of the status register set; values keep coming
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export interface ScenarioEvent {
  outfall: string;
  kind: EventKind;
  /** Start and end, milliseconds since the epoch (simulated time). */
  start: number;
  end: number;
  pollutant?: PollutantCode;
  factor?: number;
  value?: number;
  code?: number;
  /** For replay: how far back the replayed values come from, milliseconds. */
  replayFromMs?: number;
}

export interface Scenario {
  /** Simulated time at the start, milliseconds since the epoch. */
  start: number;
  /** Simulated seconds per real second. */
  speed: number;
  /** Outfalls to run; undefined: the default plant. */
  outfalls: OutfallSpec[] | undefined;
  events: ScenarioEvent[];
}

const bad = (path: string, why: string): QingliuError =>
  new QingliuError('CONFIG_INVALID', `invalid scenario: ${path}: ${why}`);

/** "90s", "10m", "2h30m", "1d" or a number of seconds -> milliseconds. */
export function parseDuration(value: unknown, path: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value * 1000;
  if (typeof value !== 'string' || !/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(value)) {
    throw bad(path, `expected a duration like 90s, 10m, 2h30m or a number of seconds, got ${JSON.stringify(value)}`);
  }
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
  let ms = 0;
  for (const [, n, , u] of value.matchAll(/(\d+(\.\d+)?)(ms|s|m|h|d)/g)) ms += Number(n) * unit[u as keyof typeof unit];
  return ms;
}

/**
 * Checks a scenario (as parsed from YAML) and resolves its times:
 *
 * ```yaml
 * start: 2024-06-01T00:00:00+08:00   # simulated time at start (default: now)
 * speed: 60                          # simulated seconds per real second (default 1)
 * outfalls: [...]                    # as startPlant's outfalls (default: the default plant)
 * events:
 *   - { outfall: ent-a-dw001, kind: bypass-dump, at: 2h, for: 30m }
 *   - { outfall: ent-a-dw002, kind: spike, at: 3h, for: 10m, pollutant: w01018, factor: 5 }
 * ```
 * `at` is the time after `start`. Throws QingliuError('CONFIG_INVALID') naming the bad field.
 */
export function parseScenario(input: unknown, now = Date.now()): Scenario {
  if (typeof input !== 'object' || input === null) throw bad('(root)', 'expected a mapping');
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!['start', 'speed', 'outfalls', 'events'].includes(key)) throw bad(key, 'unknown field');
  }
  const start = raw['start'] === undefined ? now : Date.parse(String(raw['start'] instanceof Date ? raw['start'].toISOString() : raw['start']));
  if (!Number.isFinite(start)) throw bad('start', `expected an ISO date and time, got ${JSON.stringify(raw['start'])}`);
  const speed = raw['speed'] ?? 1;
  if (typeof speed !== 'number' || !(speed > 0)) throw bad('speed', 'expected a positive number');
  const outfalls = raw['outfalls'];
  if (outfalls !== undefined && !Array.isArray(outfalls)) throw bad('outfalls', 'expected a list');
  if (!Array.isArray(raw['events'])) throw bad('events', 'expected a list');
  const events = raw['events'].map((e: unknown, i: number): ScenarioEvent => {
    const path = `events.${i}`;
    if (typeof e !== 'object' || e === null) throw bad(path, 'expected a mapping');
    const ev = e as Record<string, unknown>;
    for (const key of Object.keys(ev)) {
      if (!['outfall', 'kind', 'at', 'for', 'pollutant', 'factor', 'value', 'code', 'replayFrom'].includes(key)) throw bad(`${path}.${key}`, 'unknown field');
    }
    if (typeof ev['outfall'] !== 'string') throw bad(`${path}.outfall`, 'expected an outfall id');
    if (!EVENT_KINDS.includes(ev['kind'] as EventKind)) throw bad(`${path}.kind`, `expected one of ${EVENT_KINDS.join(', ')}`);
    const at = start + parseDuration(ev['at'], `${path}.at`);
    const event: ScenarioEvent = { outfall: ev['outfall'], kind: ev['kind'] as EventKind, start: at, end: at + parseDuration(ev['for'], `${path}.for`) };
    if (ev['pollutant'] !== undefined) {
      if (!POLLUTANT_CODES.includes(ev['pollutant'] as PollutantCode)) throw bad(`${path}.pollutant`, `expected one of ${POLLUTANT_CODES.join(', ')}`);
      event.pollutant = ev['pollutant'] as PollutantCode;
    }
    for (const key of ['factor', 'value', 'code'] as const) {
      if (ev[key] === undefined) continue;
      if (typeof ev[key] !== 'number' || !Number.isFinite(ev[key])) throw bad(`${path}.${key}`, 'expected a number');
      event[key] = ev[key];
    }
    if (ev['replayFrom'] !== undefined) event.replayFromMs = parseDuration(ev['replayFrom'], `${path}.replayFrom`);
    return event;
  });
  return { start, speed, outfalls: outfalls as OutfallSpec[] | undefined, events };
}

export async function loadScenario(path: string, now = Date.now()): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new QingliuError('CONFIG_INVALID', `cannot read scenario ${path}`, { cause: error });
  }
  return parseScenario(parseYaml(text), now);
}

/**
 * The ground truth: one CSV row per event, `outfall,kind,start,end` with
 * ISO-8601 UTC times (simulated), in the order of the scenario file.
 */
export function labelsCsv(scenario: Scenario): string {
  const rows = scenario.events.map((e) => `${e.outfall},${e.kind},${new Date(e.start).toISOString()},${new Date(e.end).toISOString()}`);
  return ['outfall,kind,start,end', ...rows].join('\n') + '\n';
}

export async function writeLabels(path: string, scenario: Scenario): Promise<void> {
  await writeFile(path, labelsCsv(scenario));
}

/** Simulated time for a scenario started at real time `realStart`. */
export function scenarioClock(scenario: Scenario, realStart = Date.now()): () => number {
  return () => scenario.start + (Date.now() - realStart) * scenario.speed;
}
