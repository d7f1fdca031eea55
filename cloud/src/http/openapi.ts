/** The HTTP API's OpenAPI 3.1 document, served at /api/v1/openapi.json, and the query schemas of the range routes. */
import { alertsQuerySchema } from './alert-routes.js';
import { eventsQuerySchema } from './event-stream-routes.js';
import { componentResponses, componentSchemas } from './openapi-schemas.js';
import { limitsQuerySchema, outfallsQuerySchema } from './outfall-routes.js';
import { EVERY_PATTERN } from './query-params.js';
import { blacklistBodySchema, blacklistParamsSchema, recordsQuerySchema } from './record-routes.js';
import type { ApiRole } from './roles.js';
import { traceabilityBodySchema } from './traceability-routes.js';
import { verdictBodySchema, verdictParamsSchema } from './verdict-routes.js';

const id = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } as const;
const time = { type: 'string', description: 'ISO 8601 time, or milliseconds since the epoch' } as const;

export const readingsQuerySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['from', 'to'],
  properties: {
    enterprise: id,
    outfall: id,
    device: id,
    pollutant: { type: 'string', enum: ['w00000', 'w01018', 'w21003', 'w01001', 'w21011', 'w21001'] },
    from: time,
    to: time,
    every: {
      type: 'string',
      pattern: `^(${EVERY_PATTERN.slice(1, -1)}|auto)$`,
      description: 'downsample: window length, e.g. 30s, 15m, 1h; `auto` keeps each series at or under 1,000 points',
    },
    limit: { type: 'integer', minimum: 1, maximum: 100000, default: 10000 },
    fields: { type: 'string', enum: ['all', 'mean'], default: 'all', description: 'with every: `mean` for the mean per window only (charts)' },
    points: { type: 'integer', minimum: 10, maximum: 1000, default: 1000, description: 'with every=auto: most points per series' },
  },
} as const;

export const loadsQuerySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['from', 'to', 'every'],
  properties: {
    enterprise: id,
    outfall: id,
    from: time,
    to: time,
    every: { type: 'string', pattern: EVERY_PATTERN, description: 'accounting window, e.g. 1h, 1d' },
  },
} as const;

export const proofParamsSchema = {
  type: 'object',
  required: ['device', 'seq'],
  properties: { device: id, seq: { type: 'integer', minimum: 0 } },
} as const;

export const proofQuerySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['ts'],
  properties: { ts: time },
} as const;

interface ObjectSchema {
  properties: Record<string, object>;
  required?: readonly string[];
}

/** The parameters of a route, from the same schema the route validates them with. */
const parameters = (where: 'query' | 'path', schema: ObjectSchema): object[] =>
  Object.entries(schema.properties).map(([name, s]) => ({ name, in: where, required: where === 'path' || (schema.required ?? []).includes(name), schema: s }));

const ref = (name: keyof typeof componentSchemas): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });
const json = (description: string, schema: object): object => ({ description, content: { 'application/json': { schema } } });
const text = (description: string, type: string): object => ({ description, content: { [type]: { schema: { type: 'string' } } } });
const shared = (name: keyof typeof componentResponses): { $ref: string } => ({ $ref: `#/components/responses/${name}` });

interface ApiOperation {
  summary: string;
  parameters?: object[];
  requestBody?: object;
  responses: Record<number, object>;
}

/**
 * An /api/v1 operation: who may call it (`x-roles`, as the route declares with requireRole) and
 * so its security: a route the public may call takes a token or none (a token changes what it
 * shows); any other needs one. Every one answers 401 to a token the server does not know; one
 * not open to everyone answers 403 to a role it refuses or to another enterprise's data; one
 * with input answers 400 to a bad parameter.
 */
function api(roles: readonly ApiRole[], op: ApiOperation): object {
  const open = roles.includes('public');
  const input = (op.parameters?.length ?? 0) > 0 || op.requestBody !== undefined;
  return {
    ...op,
    'x-roles': roles,
    security: open ? [{}, { bearer: [] }] : [{ bearer: [] }],
    responses: {
      ...op.responses,
      ...(input ? { 400: shared('BadRequest') } : {}),
      401: shared('Unauthorized'),
      ...(open ? {} : { 403: shared('Forbidden') }),
    },
  };
}

const error = (description: string): object => json(description, ref('Error'));
const chainDown = error('the chain is unavailable: retryable, with Retry-After');

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Qingliu cloud API',
    version: '1.0.0',
    description:
      'Readings, pollutant loads, ingest status, health and metrics of the Qingliu ingester. ' +
      'Send `Authorization: Bearer <token>`: the bureau reads everything, an enterprise its own data only (403 otherwise), ' +
      'and a caller without a token is the public, who reads on-chain facts only (x-roles names who may call each route). ' +
      'Who may call a route is checked before its input: a caller who may not gets 401 or 403, never a 400.',
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: "a token the server's config holds the SHA-256 of (api.tokens)" } },
    schemas: componentSchemas,
    responses: componentResponses,
  },
  paths: {
    '/health': { get: { summary: 'Liveness: the process answers', security: [], responses: { 200: json('it answers', { type: 'object', required: ['ok'], properties: { ok: { const: true } } }) } } },
    '/status': { get: { summary: 'Ingest counters, settlements and balances', security: [], responses: { 200: json('status', { type: 'object' }) } } },
    '/metrics': { get: { summary: 'Prometheus metrics (text exposition format)', security: [], responses: { 200: text('metrics', 'text/plain') } } },
    '/api/v1/openapi.json': { get: api(['bureau', 'enterprise', 'public'], { summary: 'This document', responses: { 200: json('OpenAPI 3.1', { type: 'object' }) } }) },
    '/api/v1/readings': {
      get: api(['bureau', 'enterprise'], {
        summary: 'Stored readings in a time range; with `every`, downsampled to mean/min/max/count per window (at most 10,000 windows in the range)',
        parameters: parameters('query', readingsQuerySchema),
        responses: { 200: json('{"readings":[...]} or {"everyMs", "windows":[...]}', ref('Readings')) },
      }),
    },
    '/api/v1/proofs/{device}/{seq}': {
      get: api(['bureau', 'enterprise'], {
        summary: 'Merkle proof of one stored reading against its anchored batch root (protocol/README.md); verify with cloud/dist/cli/verify-proof.js',
        parameters: [...parameters('path', proofParamsSchema), ...parameters('query', proofQuerySchema)],
        responses: {
          200: json('the proof', ref('ReadingProof')),
          404: error('no such reading, or this process serves no proofs'),
          409: error('its batch is not anchored yet'),
        },
      }),
    },
    '/api/v1/loads': {
      get: api(['bureau', 'enterprise'], {
        summary: 'Pollutant load per enterprise and pollutant per window (cloud/README.md, "Load accounting"; at most 10,000 windows in the range)',
        parameters: parameters('query', loadsQuerySchema),
        responses: { 200: json('the loads', ref('Loads')) },
      }),
    },
    '/api/v1/me': { get: api(['bureau', 'enterprise', 'public'], { summary: "The caller's role and enterprise", responses: { 200: json('who calls', ref('Me')) } }) },
    '/api/v1/enterprises': {
      get: api(['bureau', 'enterprise', 'public'], {
        summary: 'Enterprises with their outfalls and devices (the public: ids only; an enterprise: its own)',
        responses: { 200: json('the enterprises', ref('Enterprises')) },
      }),
    },
    '/api/v1/limits': {
      get: api(['bureau', 'enterprise', 'public'], {
        summary: 'Permitted concentration limits (all, or those in force at ?outfall=)',
        parameters: parameters('query', limitsQuerySchema),
        responses: { 200: json('the limits', ref('Limits')) },
      }),
    },
    '/api/v1/outfalls': {
      get: api(['bureau', 'enterprise'], {
        summary: "Each outfall's state (online, offline, alarm), its devices, recent means and limits",
        parameters: parameters('query', outfallsQuerySchema),
        responses: { 200: json('the outfalls', ref('Outfalls')) },
      }),
    },
    '/api/v1/events': {
      get: api(['bureau', 'enterprise', 'public'], {
        summary: "EmissionLedger's events as server-sent events, filtered by role (an enterprise: its own and every anchoring; the public: anchorings)",
        parameters: parameters('query', eventsQuerySchema),
        responses: {
          200: text('`event:` BatchSettled | LoadDeducted | OverDischarged | TopUpWarning | CreditsAllocated, `data:` the event as JSON, `id:` block-logIndex', 'text/event-stream'),
          404: error('this process follows no chain'),
        },
      }),
    },
    '/api/v1/traceability': {
      post: api(['bureau'], {
        summary:
          "Ranks the upstream outfalls by how well their discharge explains a river station's event (污水溯源, cloud/README.md \"Traceability\"); " +
          "an outfall sent without its series is read from the store as means on the station's step",
        requestBody: { required: true, content: { 'application/json': { schema: traceabilityBodySchema } } },
        responses: {
          200: json('the ranking, best first, and the series read from the store', ref('Traceability')),
          413: error('a body over 8 MiB'),
          503: chainDown,
        },
      }),
    },
    '/api/v1/alerts': {
      get: api(['bureau', 'enterprise'], {
        summary: 'Detected alerts overlapping a range (default: the last day), each with its evidence, evidence hash and, once closed, the transaction that recorded the hash (AlertRegistry)',
        parameters: parameters('query', alertsQuerySchema),
        responses: { 200: json('the alerts, oldest first', ref('Alerts')), 404: error('NO_DETECTION: this process runs no detection') },
      }),
    },
    '/api/v1/alerts/{id}/verdict': {
      post: api(['bureau'], {
        summary: "The bureau's verdict on a recorded alert, sent to AlertRegistry with reasonHash = sha256(reason)",
        parameters: parameters('path', verdictParamsSchema),
        requestBody: { required: true, content: { 'application/json': { schema: verdictBodySchema } } },
        responses: {
          200: json('recorded on chain', ref('Verdict')),
          404: error('ALERT_UNKNOWN: not on chain'),
          409: json('ALERT_DECIDED, with the verdict it has', { allOf: [ref('Error')], properties: { verdict: { type: 'string' } } }),
          501: error('NO_BUREAU_KEY: this process holds no bureau key'),
          502: error('the chain refused it'),
          503: chainDown,
        },
      }),
    },
    '/api/v1/records': {
      get: api(['bureau', 'enterprise'], {
        summary: "Each enterprise's credit score with its deductions and the on-chain facts it rests on (confirmed alerts, blacklist, credit debt)",
        parameters: parameters('query', recordsQuerySchema),
        responses: { 200: json('the records', ref('Records')), 501: error('NO_RECORDS: this process reads no records from the chain'), 502: error('the chain refused the read'), 503: chainDown },
      }),
    },
    '/api/v1/enterprises/{enterprise}/blacklist': {
      post: api(['bureau'], {
        summary: 'Lists the enterprise on the Blacklist once its confirmed alerts reach the threshold; evidence hash = sha256(canonicalJson(sorted confirmed alert ids))',
        parameters: parameters('path', blacklistParamsSchema),
        requestBody: { required: false, content: { 'application/json': { schema: blacklistBodySchema } } },
        responses: {
          200: json('listed on chain', ref('Blacklisted')),
          404: error('ENTERPRISE_UNKNOWN: not enrolled here'),
          409: error('NOT_PROPOSED: below the threshold, or listed already'),
          501: error('NO_BUREAU_KEY: this process holds no bureau key'),
          502: error('the chain refused it'),
          503: chainDown,
        },
      }),
    },
  },
} as const;
