import type { FastifyInstance } from 'fastify';
import { POLLUTANTS, isQingliuError } from '@qingliu/protocol';
import type { PollutantCode } from '@qingliu/protocol';
import { DetectionError, defaultTraceOptions, parseTimestamp, rankUpstreamSources } from '@qingliu/analytics';
import { readStoredOutfallSeries } from '../detection/stored-outfall-series.js';
import type { TraceOptions, TraceOutfall, TraceStation, UpstreamSource } from '@qingliu/analytics';
import type { ReadingStore } from '../ports/reading-store.js';
import type { DeviceRegistry } from '../registry/device-registry.js';
import { requireRole } from './roles.js';

export interface TraceabilityRoutesParameters {
  /** Where outfalls sent without their own series are read from. */
  store: Pick<ReadingStore, 'queryMeans'>;
  /** Which outfalls are enrolled (only those are read from the store). */
  registry: Pick<DeviceRegistry, 'list'>;
}

/** Most samples in one series of the body. */
export const TRACE_MAX_POINTS = 60_000;
/** Most candidate outfalls in one request. */
export const TRACE_MAX_OUTFALLS = 50;
/** Largest body, bytes: a week of 1-minute samples for the station and 20 outfalls, with room. */
export const TRACE_BODY_LIMIT = 8 * 1024 * 1024;
/** History read from the store before the event (and before the longest lag), ms: the ranking needs a day of it. */
const STORE_HISTORY_MS = 48 * 3_600_000;

/** Pollutants a river station's event can be traced by: the concentrations. */
const TRACEABLE = (Object.keys(POLLUTANTS) as PollutantCode[]).filter((code) => POLLUTANTS[code].kind === 'concentration');

type Series = (number | null)[];

export interface TraceabilityBody {
  station: { ts: number[]; values: Series; riverFlow?: Series; pollutant?: PollutantCode; unit?: string };
  event: { start: number | string; end: number | string };
  outfalls: { outfall: string; distanceKm?: number; ts?: number[]; flow?: Series; concentration?: Series }[];
  options?: Partial<Pick<TraceOptions, 'velocityMs' | 'minLagMinutes' | 'maxLagMinutes' | 'contextMinutes' | 'utcOffsetHours'>>;
}

const series = { type: 'array', maxItems: TRACE_MAX_POINTS, items: { type: ['number', 'null'] } } as const;
const times = { type: 'array', maxItems: TRACE_MAX_POINTS, items: { type: 'number' } } as const;
const time = { anyOf: [{ type: 'number' }, { type: 'string', maxLength: 64 }], description: 'ms since the epoch, or ISO 8601' } as const;

export const traceabilityBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['station', 'event', 'outfalls'],
  properties: {
    station: {
      type: 'object',
      additionalProperties: false,
      required: ['ts', 'values'],
      properties: {
        ts: { ...times, description: 'sample times, ms since the epoch, ascending' },
        values: { ...series, description: "the pollutant's concentration at the station; null where missing" },
        riverFlow: { ...series, description: 'river flow at the station, m3/s (caps each share at what a load can do in it)' },
        pollutant: { type: 'string', enum: TRACEABLE, default: 'w01018' },
        unit: { type: 'string', maxLength: 16 },
      },
    },
    event: { type: 'object', additionalProperties: false, required: ['start', 'end'], properties: { start: time, end: time } },
    outfalls: {
      type: 'array',
      minItems: 1,
      maxItems: TRACE_MAX_OUTFALLS,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['outfall'],
        properties: {
          outfall: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
          distanceKm: { type: 'number', minimum: 0, description: 'along the river down to the station' },
          ts: times,
          flow: { ...series, description: 'discharge flow, m3/h' },
          concentration: { ...series, description: "the station's pollutant at the outfall, mg/L" },
        },
      },
    },
    options: {
      type: 'object',
      additionalProperties: false,
      properties: {
        velocityMs: { type: 'object', additionalProperties: false, required: ['min', 'max'], properties: { min: { type: 'number' }, max: { type: 'number' } } },
        minLagMinutes: { type: 'number' },
        maxLagMinutes: { type: 'number' },
        contextMinutes: { type: 'number' },
        utcOffsetHours: { type: 'number' },
      },
    },
  },
} as const;

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

/**
 * POST /api/v1/traceability (bureau only): which upstream outfall explains an event a river
 * station saw (污水溯源, detection/traceability.ts). The body carries the station's series, the
 * event window and the candidate outfalls, each with its own series (`ts`, `flow` m3/h,
 * `concentration` mg/L) or only its id (and distance): then its flow and the station's pollutant
 * are read from the store as means on the station's step, on the station's time grid, over
 * [event start - 48 h - longest lag, event end + longest lag]. Answers the ranking, best first;
 * input the ranking cannot judge is 400 with its DetectionError message and code.
 */
export async function traceabilityRoutes(app: FastifyInstance, params: TraceabilityRoutesParameters): Promise<void> {
  app.post<{ Body: TraceabilityBody }>(
    '/api/v1/traceability',
    { ...requireRole('bureau'), bodyLimit: TRACE_BODY_LIMIT, schema: { body: traceabilityBodySchema } },
    async (request, reply) => {
      const body = request.body;
      const pollutant = body.station.pollutant ?? 'w01018';
      try {
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
        const enrolled = new Set(params.registry.list().map((d) => d.outfall));
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
            const read = await readStoredOutfallSeries({ store: params.store, outfall: o.outfall, distanceKm: o.distanceKm, pollutant, stationTs: station.ts, fromMs, toMs });
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
        const answer: TraceabilityAnswer = { pollutant, event, ranking, stored };
        return answer;
      } catch (error) {
        if (error instanceof DetectionError) return reply.status(400).send({ error: error.message, code: error.code });
        if (isQingliuError(error) && error.retryable) {
          return reply.status(503).header('retry-after', '5').send({ error: `cannot read the outfalls' readings: ${error.message}`, code: error.code, retryable: true });
        }
        throw error;
      }
    },
  );
}
