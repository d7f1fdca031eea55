/** The HTTP API's OpenAPI 3.1 document, served at /api/v1/openapi.json. */
import { EVERY_PATTERN } from './query-params.js';
import { traceabilityBodySchema } from './traceability-routes.js';

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

const parameters = (schema: { properties: Record<string, object>; required: readonly string[] }): object[] =>
  Object.entries(schema.properties).map(([name, s]) => ({ name, in: 'query', required: schema.required.includes(name), schema: s }));

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Qingliu cloud API',
    version: '1.0.0',
    description:
      'Readings, pollutant loads, ingest status, health and metrics of the Qingliu ingester. ' +
      'Send `Authorization: Bearer <token>`: the bureau reads everything, an enterprise its own data only (403 otherwise), ' +
      'and a caller without a token is the public, who reads on-chain facts only (x-roles names who may call each route).',
  },
  components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
  paths: {
    '/health': { get: { summary: 'Liveness: the process answers', responses: { 200: { description: '{"ok":true}' } } } },
    '/status': { get: { summary: 'Ingest counters, settlements and balances', responses: { 200: { description: 'status' } } } },
    '/metrics': { get: { summary: 'Prometheus metrics (text exposition format)', responses: { 200: { description: 'metrics' } } } },
    '/api/v1/openapi.json': { get: { summary: 'This document', 'x-roles': ['bureau', 'enterprise', 'public'], responses: { 200: { description: 'OpenAPI 3.1' } } } },
    '/api/v1/readings': {
      get: {
        summary: 'Stored readings in a time range; with `every`, downsampled to mean/min/max/count per window',
        'x-roles': ['bureau', 'enterprise'],
        parameters: parameters(readingsQuerySchema),
        responses: { 200: { description: '{"readings":[...]} or {"windows":[...]}' }, 400: { description: 'a bad parameter, named' } },
      },
    },
    '/api/v1/proofs/{device}/{seq}': {
      get: {
        summary: 'Merkle proof of one stored reading against its anchored batch root (protocol/README.md); verify with cloud/dist/cli/verify-proof.js',
        'x-roles': ['bureau', 'enterprise'],
        parameters: [
          { name: 'device', in: 'path', required: true, schema: id },
          { name: 'seq', in: 'path', required: true, schema: { type: 'integer', minimum: 0 } },
          { name: 'ts', in: 'query', required: true, schema: time },
        ],
        responses: {
          200: { description: '{reading, leaf, proof, root, batchId, txHash, contract}' },
          404: { description: 'no such reading' },
          409: { description: 'its batch is not anchored yet' },
        },
      },
    },
    '/api/v1/loads': {
      get: {
        summary: 'Pollutant load per enterprise and pollutant per window (cloud/README.md, "Load accounting")',
        'x-roles': ['bureau', 'enterprise'],
        parameters: parameters(loadsQuerySchema),
        responses: { 200: { description: '{"loads":[{from,to,enterprise,pollutant,milligrams,kg,samples,flaggedSamples}]}' }, 400: { description: 'a bad parameter, named' } },
      },
    },
    '/api/v1/me': { get: { summary: "The caller's role and enterprise", 'x-roles': ['bureau', 'enterprise', 'public'], responses: { 200: { description: '{role, enterprise?}' } } } },
    '/api/v1/enterprises': {
      get: {
        summary: 'Enterprises with their outfalls and devices (the public: ids only; an enterprise: its own)',
        'x-roles': ['bureau', 'enterprise', 'public'],
        responses: { 200: { description: '{"enterprises":[{enterprise, outfalls?:[{outfall, devices}]}]}' } },
      },
    },
    '/api/v1/limits': {
      get: {
        summary: 'Permitted concentration limits (all, or those at ?outfall=)',
        'x-roles': ['bureau', 'enterprise', 'public'],
        responses: { 200: { description: '{"limits":[{pollutant, max?, min?, outfall?, source?}]}' } },
      },
    },
    '/api/v1/outfalls': {
      get: {
        summary: "Each outfall's state (online, offline, alarm), its devices, recent means and limits",
        'x-roles': ['bureau', 'enterprise'],
        responses: { 200: { description: '{"windowMs", "outfalls":[{enterprise, outfall, state, reasons, devices, means, limits}]}' }, 403: { description: "another enterprise's" } },
      },
    },
    '/api/v1/events': {
      get: {
        summary: "EmissionLedger's events as server-sent events, filtered by role (an enterprise: its own and every anchoring; the public: anchorings)",
        'x-roles': ['bureau', 'enterprise', 'public'],
        responses: { 200: { description: 'text/event-stream; event: BatchSettled | LoadDeducted | OverDischarged | TopUpWarning | CreditsAllocated' } },
      },
    },
    '/api/v1/traceability': {
      post: {
        summary:
          "Ranks the upstream outfalls by how well their discharge explains a river station's event (污水溯源, cloud/README.md \"Traceability\"); " +
          'an outfall sent without its series is read from the store as means on the station\'s step',
        'x-roles': ['bureau'],
        requestBody: { required: true, content: { 'application/json': { schema: traceabilityBodySchema } } },
        responses: {
          200: { description: '{pollutant, event, ranking:[{outfall, score, lagMinutes, correlation, explainedShare, verdict, explanation, riseFactor, riseZ, spreadMinutes, sourceWindow, impliedVelocityMs?}], stored:[{outfall, ts, flow, concentration}]}' },
          400: { description: 'input the ranking cannot judge, with its message (too little history, no rise in the event window, an outfall not enrolled...)' },
          413: { description: 'a body over 8 MiB' },
        },
      },
    },
    '/api/v1/alerts': {
      get: {
        summary: 'Detected alerts overlapping a range (default: the last day), each with its evidence, evidence hash and, once closed, the transaction that recorded the hash (AlertRegistry)',
        'x-roles': ['bureau', 'enterprise'],
        parameters: [
          { name: 'from', in: 'query', schema: { type: 'string' } },
          { name: 'to', in: 'query', schema: { type: 'string' } },
          { name: 'outfall', in: 'query', schema: { type: 'string' } },
          { name: 'enterprise', in: 'query', schema: { type: 'string' } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 10_000 } },
        ],
        responses: { 200: { description: '{alerts:[{id, enterprise, outfall, kind, start, end, score, closed, evidenceHash, txHash?, evidence:{detector, threshold, note, readings:[{ts, channel, value, expected}]}}]}' }, 404: { description: 'this process runs no detection' } },
      },
    },
    '/api/v1/alerts/{id}/verdict': {
      post: {
        summary: "The bureau's verdict on a recorded alert, sent to AlertRegistry with reasonHash = sha256(reason)",
        'x-roles': ['bureau'],
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^0x[0-9a-fA-F]{64}$' } }],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['verdict', 'reason'], properties: { verdict: { enum: ['confirmed', 'dismissed'] }, reason: { type: 'string' } } } } } },
        responses: {
          200: { description: '{alertId, enterprise, verdict, reasonHash, txHash}' },
          404: { description: 'ALERT_UNKNOWN: not on chain' },
          409: { description: 'ALERT_DECIDED, with the verdict it has' },
          501: { description: 'NO_BUREAU_KEY: this process holds no bureau key' },
          503: { description: 'the chain is down (retryable, Retry-After)' },
        },
      },
    },
    '/api/v1/records': {
      get: {
        summary: "Each enterprise's credit score with its deductions and the on-chain facts it rests on (confirmed alerts, blacklist, credit debt)",
        'x-roles': ['bureau', 'enterprise'],
        parameters: [{ name: 'enterprise', in: 'query', schema: { type: 'string' } }],
        responses: { 200: { description: '{records:[{enterprise, score, deductions, facts}]}' } },
      },
    },
    '/api/v1/enterprises/{enterprise}/blacklist': {
      post: {
        summary: 'Lists the enterprise on the Blacklist once its confirmed alerts reach the threshold; evidence hash = sha256(canonicalJson(sorted confirmed alert ids))',
        'x-roles': ['bureau'],
        parameters: [{ name: 'enterprise', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 200: { description: '{enterprise, evidenceHash, txHash}' }, 409: { description: 'NOT_PROPOSED: below the threshold, or listed already' } },
      },
    },
  },
} as const;
