#!/usr/bin/env node
/**
 * Ranks the upstream outfalls that may explain an event a river station saw:
 *
 *   node analytics/dist/cli/trace.js --station station.csv --outfalls outfalls.csv --start <time> --end <time>
 *     [--pollutant cod] [--velocity 0.2-2] [--min-lag 0] [--max-lag 360] [--utc-offset 8]
 *
 * station.csv, one row per station sample: `ts,<pollutant>[,<pollutant>...][,flow]`
 *   ts        ms since the epoch, or ISO 8601
 *   cod, nh3n the concentrations, mg/L (any column names; --pollutant picks one)
 *   flow      optional: river flow at the station, m3/s (caps each outfall's share at what its load can do)
 * outfalls.csv, the detection readings CSV: `ts,outfall,flow,<pollutant>...[,distance_km]`
 *   flow        discharge flow, m3/h
 *   cod, nh3n   concentrations, mg/L (the column named by --pollutant must be there)
 *   distance_km optional: distance along the river down to the station (the first finite value of each outfall counts)
 * --start, --end  the event window at the station (ms or ISO 8601)
 * --velocity      plausible river velocities, m/s, "min-max" (lags searched: distance / velocity)
 * --min-lag, --max-lag  lags searched for outfalls with no distance, minutes
 *
 * Prints one JSON line per outfall, best first:
 * {"outfall","score","lagMinutes","correlation","explainedShare","verdict","explanation"}.
 * Exit 0 on success, 2 on bad input.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { DetectionError } from '../detectors/detector.js';
import { parseReadingsCsv, parseTimestamp, toSeries } from '../series/readings-csv.js';
import { rankUpstreamSources } from '../traceability/traceability.js';
import type { TraceOptions, TraceStation, UpstreamSource } from '../traceability/traceability.js';
import { printedHelp, usageError } from './usage.js';

const USAGE = 'usage: trace --station <station.csv> --outfalls <outfalls.csv> --start <time> --end <time> [--pollutant cod] [--velocity 0.2-2] [--min-lag 0] [--max-lag 360] [--utc-offset 8]';

const NAMES: Record<string, string> = { cod: 'COD', nh3n: 'NH3-N', tp: 'TP', tn: 'TN' };

/** The station CSV: a ts column and numeric columns, lower-cased names. */
function parseStationCsv(text: string): { ts: number[]; columns: Record<string, number[]> } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  const tsCol = header.indexOf('ts');
  if (tsCol < 0) throw new DetectionError('BAD_CSV', `station CSV line 1: the header needs a ts column, got "${lines[0] ?? ''}"`);
  const rows = lines.slice(1).map((line, n) => {
    const cells = line.split(',');
    const ts = parseTimestamp(cells[tsCol] ?? '');
    if (!Number.isFinite(ts)) throw new DetectionError('BAD_CSV', `station CSV line ${n + 2}: bad ts "${cells[tsCol] ?? ''}"`);
    return { ts, cells };
  });
  rows.sort((a, b) => a.ts - b.ts);
  const columns: Record<string, number[]> = {};
  header.forEach((name, c) => {
    if (c === tsCol) return;
    columns[name] = rows.map(({ cells }, n) => {
      const t = (cells[c] ?? '').trim();
      if (t === '' || /^(NA|NaN)$/i.test(t)) return Number.NaN;
      const v = Number(t);
      if (!Number.isFinite(v)) throw new DetectionError('BAD_CSV', `station CSV: ${name} is not a number: "${t}" (row ${n + 1} by time)`);
      return v;
    });
  });
  return { ts: rows.map((r) => r.ts), columns };
}

function number(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isFinite(v)) throw new DetectionError('BAD_OPTION', `${flag} must be a number, got "${text}"`);
  return v;
}

function toJsonLine(s: UpstreamSource): string {
  const round = (v: number, digits: number): number => Number(v.toFixed(digits));
  return JSON.stringify({
    outfall: s.outfall,
    score: round(s.score, 3),
    lagMinutes: round(s.lagMinutes, 1),
    correlation: round(s.correlation, 3),
    explainedShare: round(s.explainedShare, 3),
    verdict: s.verdict,
    explanation: s.explanation,
  });
}

async function main(): Promise<number> {
  if (printedHelp(USAGE)) return 0;
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        station: { type: 'string' },
        outfalls: { type: 'string' },
        start: { type: 'string' },
        end: { type: 'string' },
        pollutant: { type: 'string', default: 'cod' },
        velocity: { type: 'string' },
        'min-lag': { type: 'string' },
        'max-lag': { type: 'string' },
        'utc-offset': { type: 'string' },
      },
    }));
  } catch (error) {
    return usageError(USAGE, (error as Error).message);
  }
  if (!values.station || !values.outfalls || !values.start || !values.end) return usageError(USAGE);
  try {
    const pollutant = values.pollutant.toLowerCase();
    const start = parseTimestamp(values.start);
    const end = parseTimestamp(values.end);
    if (!Number.isFinite(start) || !Number.isFinite(end)) throw new DetectionError('BAD_OPTION', `--start and --end must be times (ms or ISO 8601), got "${values.start}", "${values.end}"`);

    const stationCsv = parseStationCsv(await readFile(values.station, 'utf8'));
    const stationValues = stationCsv.columns[pollutant];
    if (!stationValues) throw new DetectionError('BAD_CSV', `station CSV has no ${pollutant} column`);
    const station: TraceStation = {
      ts: stationCsv.ts,
      values: stationValues,
      event: { start, end },
      pollutant: NAMES[pollutant] ?? pollutant,
      ...(stationCsv.columns['flow'] ? { riverFlow: stationCsv.columns['flow'] } : {}),
    };

    const table = parseReadingsCsv(await readFile(values.outfalls, 'utf8'));
    for (const needed of ['flow', pollutant]) {
      if (!table.channels.includes(needed)) throw new DetectionError('BAD_CSV', `outfalls CSV has no ${needed} column`);
    }
    const outfalls = toSeries(table).map((s) => {
      const distance = (s.channels['distance_km'] ?? []).find((v) => Number.isFinite(v));
      return { id: s.outfall, ts: s.ts, flow: s.channels['flow']!, concentration: s.channels[pollutant]!, ...(distance === undefined ? {} : { distanceKm: distance }) };
    });

    let velocityMs: TraceOptions['velocityMs'] | undefined;
    if (values.velocity !== undefined) {
      const m = /^\s*([\d.]+)\s*-\s*([\d.]+)\s*$/.exec(values.velocity);
      if (!m) throw new DetectionError('BAD_OPTION', `--velocity must be "min-max" in m/s, got "${values.velocity}"`);
      velocityMs = { min: Number(m[1]), max: Number(m[2]) };
    }
    const minLag = number(values['min-lag'], '--min-lag');
    const maxLag = number(values['max-lag'], '--max-lag');
    const utcOffset = number(values['utc-offset'], '--utc-offset');
    const options: Partial<TraceOptions> = {
      ...(velocityMs === undefined ? {} : { velocityMs }),
      ...(minLag === undefined ? {} : { minLagMinutes: minLag }),
      ...(maxLag === undefined ? {} : { maxLagMinutes: maxLag }),
      ...(utcOffset === undefined ? {} : { utcOffsetHours: utcOffset }),
    };

    const ranking = rankUpstreamSources(station, outfalls, options);
    process.stdout.write(`${ranking.map(toJsonLine).join('\n')}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
}

process.exitCode = await main();
