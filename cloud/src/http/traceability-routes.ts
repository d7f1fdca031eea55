import type { FastifyInstance } from 'fastify';
import { POLLUTANTS } from '@qingliu/protocol';
import type { PollutantCode } from '@qingliu/protocol';
import { createTraceabilityService } from '../services/traceability.js';
import type { TraceabilityRequest } from '../services/traceability.js';
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
/** Pollutants a river station's event can be traced by: the concentrations. */
const TRACEABLE = (Object.keys(POLLUTANTS) as PollutantCode[]).filter((code) => POLLUTANTS[code].kind === 'concentration');

/** The body of POST /api/v1/traceability (services/traceability.ts). */
export type TraceabilityBody = TraceabilityRequest;
export type { TraceabilityAnswer } from '../services/traceability.js';

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

/**
 * POST /api/v1/traceability (bureau only): which upstream outfall explains an event a river
 * station saw (污水溯源, services/traceability.ts over analytics' traceability). The body carries the station's series, the
 * event window and the candidate outfalls, each with its own series (`ts`, `flow` m3/h,
 * `concentration` mg/L) or only its id (and distance): then its flow and the station's pollutant
 * are read from the store as means on the station's step, on the station's time grid, over
 * [event start - 48 h - longest lag, event end + longest lag]. Answers the ranking, best first;
 * input the ranking cannot judge is a 400 with its code (BAD_OPTION), through the one error handler.
 */
export async function traceabilityRoutes(app: FastifyInstance, params: TraceabilityRoutesParameters): Promise<void> {
  const traceability = createTraceabilityService(params);
  app.post<{ Body: TraceabilityBody }>(
    '/api/v1/traceability',
    { ...requireRole('bureau'), bodyLimit: TRACE_BODY_LIMIT, schema: { body: traceabilityBodySchema } },
    async (request) => traceability.trace(request.body),
  );
}
