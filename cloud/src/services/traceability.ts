import { POLLUTANTS, QingliuError, isQingliuError } from '@qingliu/protocol';
import type { PollutantCode } from '@qingliu/protocol';
import { DetectionError, defaultTraceOptions, parseTimestamp, rankUpstreamSources } from '@qingliu/analytics';
import type { TraceOptions, TraceOutfall, TraceStation, UpstreamSource } from '@qingliu/analytics';
import { readStoredOutfallSeries } from '../detection/stored-outfall-series.js';
import type { ReadingStore } from '../ports/reading-store.js';
import type { DeviceRegistry } from '../registry/device-registry.js';

/** History read from the store before the event (and before the longest lag), ms: the ranking needs a day of it. */
const STORE_HISTORY_MS = 48 * 3_600_000;

type Series = (number | null)[];

export interface TraceabilityBody {
  station: { ts: number[]; values: Series; riverFlow?: Series; pollutant?: PollutantCode; unit?: string };
  event: { start: number | string; end: number | string };
  outfalls: { outfall: string; distanceKm?: number; ts?: number[]; flow?: Series; concentration?: Series }[];
  options?: Partial<Pick<TraceOptions, 'velocityMs' | 'minLagMinutes' | 'maxLagMinutes' | 'contextMinutes' | 'utcOffsetHours'>>;
}

/** A traceability request: the station's series, the event and the candidate outfalls (with their series, or to be read from the store). */
export interface TraceabilityRequest {
  station: { ts: number[]; values: Series; riverFlow?: Series; pollutant?: PollutantCode; unit?: string };
  event: { start: number | string; end: number | string };
  outfalls: { outfall: string; distanceKm?: number; ts?: number[]; flow?: Series; concentration?: Series }[];
  options?: Partial<Pick<TraceOptions, 'velocityMs' | 'minLagMinutes' | 'maxLagMinutes' | 'contextMinutes' | 'utcOffsetHours'>>;
}

/** What the route answers: the ranking, and the series it read from the store (to draw them). */
export interface TraceabilityAnswer {
  pollutant: PollutantCode;
  event: { start: number; end: number };
  ranking: UpstreamSource[];
  /** The outfalls read from the store, as the ranking saw them. */
  stored: { outfall: string; ts: number[]; flow: number[]; concentration: number[] }[];
}

const numbers = (values: Series): number[] => values.map((v) => (v === null ? Number.NaN : v));

function eventTime(name: string, value: number | string): number {
  const ms = typeof value === 'number' ? value : parseTimestamp(value);
  if (!Number.isFinite(ms)) throw new DetectionError('BAD_OPTION', `event.${name}: expected ms since the epoch or an ISO 8601 time, got "${value}"`);
  return ms;
}

export interface TraceabilityService {
  /**
   * Ranks the upstream outfalls by how well their discharge explains the station's event (污水溯源,
   * analytics' traceability). An outfall sent with only its id (and distance) has its flow and the
   * station's pollutant read from the store as means on the station's step, on the station's time
   * grid, over [event start - 48 h - longest lag, event end + longest lag]. Input the ranking cannot
   * judge throws BAD_OPTION; a store that is down, a retryable error.
   */
  trace(body: TraceabilityRequest): Promise<TraceabilityAnswer>;
}

export function createTraceabilityService(params: { store: Pick<ReadingStore, 'queryMeans'>; registry: Pick<DeviceRegistry, 'list'> }): TraceabilityService {
  const { store, registry } = params;
  return {
    async trace(body) {
      const pollutant = body.station.pollutant ?? 'w01018';
      const event = { start: eventTime('start', body.event.start), end: eventTime('end', body.event.end) };
      const options = { ...defaultTraceOptions, ...body.options };
      const station: TraceStation = {
        ts: body.station.ts,
        values: numbers(body.station.values),
        event,
        pollutant: POLLUTANTS[pollutant].name,
        unit: body.station.unit ?? POLLUTANTS[pollutant].unit,
        ...(body.station.riverFlow ? { riverFlow: numbers(body.station.riverFlow) } : {}),
      };
      const enrolled = new Set(registry.list().map((d) => d.outfall));
      const fromStore = new Set<string>();
      const outfalls = await Promise.all(
        body.outfalls.map(async (o): Promise<TraceOutfall> => {
          const given = [o.ts, o.flow, o.concentration].filter((s) => s !== undefined).length;
          const distance = o.distanceKm === undefined ? {} : { distanceKm: o.distanceKm };
          if (given === 3) return { id: o.outfall, ts: o.ts!, flow: numbers(o.flow!), concentration: numbers(o.concentration!), ...distance };
          if (given > 0) throw new DetectionError('BAD_OPTION', `outfall ${o.outfall}: give ts, flow and concentration together, or none to read them from the store`);
          if (!enrolled.has(o.outfall)) throw new DetectionError('BAD_OPTION', `outfall ${o.outfall} is not enrolled: send its series (ts, flow, concentration)`);
          if (station.ts.length === 0) throw new DetectionError('BAD_OPTION', 'station: no readings');
          // The longest lag searched for it: the water that reached the station may have left it that long before.
          // (A bad velocity range falls back here and is refused by the ranking with its own message.)
          const maxLagMs = o.distanceKm === undefined || !(options.velocityMs.min > 0)
            ? options.maxLagMinutes * 60_000
            : ((o.distanceKm * 1000) / options.velocityMs.min) * 1000;
          const fromMs = event.start - STORE_HISTORY_MS - maxLagMs;
          const toMs = event.end + maxLagMs;
          const read = await readStoredOutfallSeries({ store, outfall: o.outfall, distanceKm: o.distanceKm, pollutant, stationTs: station.ts, fromMs, toMs }).catch((error: unknown) => {
            if (isQingliuError(error) && error.retryable) {
              throw new QingliuError(error.code, `cannot read the outfalls' readings: ${error.shortMessage}`, { retryable: true, cause: error });
            }
            throw error;
          });
          const missing = (['flow', 'concentration'] as const).filter((k) => !read[k].some(Number.isFinite));
          if (missing.length > 0) {
            const what = missing.map((k) => (k === 'flow' ? 'flow (w00000)' : `${POLLUTANTS[pollutant].name} (${pollutant})`)).join(' or ');
            throw new DetectionError('BAD_OPTION', `outfall ${o.outfall}: the store has no ${what} readings from ${new Date(fromMs).toISOString()} to ${new Date(toMs).toISOString()}`);
          }
          fromStore.add(o.outfall);
          return read;
        }),
      );
      const ranking = rankUpstreamSources(station, outfalls, body.options ?? {});
      const stored = outfalls.filter((f) => fromStore.has(f.id)).map((f) => ({ outfall: f.id, ts: [...f.ts], flow: [...f.flow], concentration: [...f.concentration] }));
      return { pollutant, event, ranking, stored };
    },
  };
}
