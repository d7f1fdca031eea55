/**
 * The served OpenAPI document: valid OpenAPI 3.1 by an independent validator, held to the routes
 * the server registers (roles, security, parameters), and to what the routes really answer.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { generateDeviceKeyPair } from '@qingliu/protocol';
import type { PollutantCode } from '@qingliu/protocol';
import type { ReadingStore, StoredReading } from '../ports/reading-store.js';
import { DeviceRegistry } from '../registry/device-registry.js';
import { GB18918_CLASS_1A } from '../registry/permit-limits.js';
import { startTestApi } from './test-api.js';
import type { ApiServer } from './api-server.js';
import { declaredRoutes } from './roles.js';

const TOKENS = { bureau: 'tok-openapi-bureau', 'ent-a': 'tok-openapi-ent-a' } as const;
type Who = keyof typeof TOKENS | 'public';
const T0 = Date.UTC(2026, 10, 24);

const registry = new DeviceRegistry([
  { device: 'dev-a', enterprise: 'ent-a', outfall: 'out-a', publicKey: generateDeviceKeyPair().publicKeyHex, sampleIntervalMs: 1000 },
  { device: 'dev-b', enterprise: 'ent-b', outfall: 'out-b', publicKey: generateDeviceKeyPair().publicKeyHex, sampleIntervalMs: 1000 },
]);

const reading = (pollutant: PollutantCode, value: number, unit: string, seq: number): StoredReading => ({
  enterprise: 'ent-a', outfall: 'out-a', device: 'dev-a', pollutant, value, unit, ts: T0, seq, flag: 'N', batch: 3,
});
const series = { ts: T0, enterprise: 'ent-a', outfall: 'out-a', device: 'dev-a', pollutant: 'w01018' as PollutantCode };
/** What a store answers, whatever is asked: a flow and a COD sample, or their window. */
const store = {
  queryReadings: async () => [reading('w00000', 3600, 'm3/h', 0), reading('w01018', 52.5, 'mg/L', 1)],
  queryWindows: async () => [{ ...series, mean: 52.5, min: 50, max: 55, count: 2 }],
  queryMeans: async () => [{ ...series, mean: 52.5 }],
} as unknown as ReadingStore;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the document is walked as JSON
type Json = any;

describe('OpenAPI document', () => {
  let api: ApiServer;
  let doc: Json;

  beforeAll(async () => {
    api = await startTestApi({ store, registry, tokens: TOKENS, more: { limits: GB18918_CLASS_1A } });
    doc = await (await fetch(`${api.url}/api/v1/openapi.json`)).json();
  });

  afterAll(() => api?.close());

  const operations = (): [string, string, Json][] =>
    Object.entries(doc.paths as Record<string, Record<string, Json>>).flatMap(([path, item]) => Object.entries(item).map(([method, op]): [string, string, Json] => [path, method, op]));
  const resolve = (value: Json): Json => (value?.$ref ? value.$ref.slice(2).split('/').reduce((at: Json, key: string) => at[key], doc) : value);

  it('is valid OpenAPI 3.1 by @seriousme/openapi-schema-validator, every $ref resolved', async () => {
    const result = await new Validator().validate(structuredClone(doc));
    expect(result).toEqual({ valid: true });
    expect(doc.openapi).toBe('3.1.0');
  });

  it('needs the bearer scheme on every route the public may not call, and takes it on those it may', () => {
    expect(doc.components.securitySchemes.bearer).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    const routes = declaredRoutes(api.app);
    expect(routes.length).toBeGreaterThan(10);
    for (const route of routes) {
      const op = doc.paths[route.url.replace(/:(\w+)/g, '{$1}')][route.method.toLowerCase()];
      const expected = route.roles.includes('public') ? [{}, { bearer: [] }] : [{ bearer: [] }];
      expect({ route: route.url, security: op.security }).toEqual({ route: route.url, security: expected });
    }
    for (const path of ['/health', '/status', '/metrics']) expect({ path, security: doc.paths[path].get.security }).toEqual({ path, security: [] });
  });

  it('documents 401 on every API route, and 403 on every one not open to everyone, as errors with a schema', () => {
    for (const [path, method, op] of operations().filter(([p]) => p.startsWith('/api/v1/'))) {
      const open = op['x-roles'].includes('public');
      const codes = Object.keys(op.responses);
      expect({ path, method, 401: codes.includes('401'), 403: codes.includes('403') }).toEqual({ path, method, 401: true, 403: !open });
      for (const code of ['401', '403'].filter((c) => codes.includes(c))) {
        expect(resolve(resolve(op.responses[code]).content['application/json'].schema)).toEqual(expect.objectContaining({ required: ['error'] }));
      }
    }
  });

  it('gives every answer of every route a schema', () => {
    for (const [path, method, op] of operations()) {
      for (const [code, response] of Object.entries(op.responses as Record<string, Json>)) {
        const content = resolve(response).content ?? {};
        const schemas = Object.values(content as Record<string, Json>).map((media) => media.schema);
        expect({ path, method, code, schemas: schemas.length > 0 && schemas.every((s) => s !== undefined) }).toEqual({ path, method, code, schemas: true });
      }
    }
  });

  it('lists the parameters each route validates: outfalls enterprise, events types and backlog, limits outfall, and every other', () => {
    const names = (path: string, where: string): string[] =>
      (doc.paths[path].get.parameters ?? []).filter((p: Json) => p.in === where).map((p: Json) => p.name).sort();
    expect(names('/api/v1/outfalls', 'query')).toEqual(['enterprise']);
    expect(names('/api/v1/events', 'query')).toEqual(['backlog', 'types']);
    expect(names('/api/v1/limits', 'query')).toEqual(['outfall']);
    for (const route of declaredRoutes(api.app)) {
      const op = doc.paths[route.url.replace(/:(\w+)/g, '{$1}')][route.method.toLowerCase()];
      const documented = (where: string): string[] => (op.parameters ?? []).filter((p: Json) => p.in === where).map((p: Json) => p.name).sort();
      expect({ route: route.url, query: documented('query'), path: documented('path') }).toEqual({
        route: route.url,
        query: [...route.parameters.query].sort(),
        path: [...route.parameters.path].sort(),
      });
    }
  });

  it('describes what the routes really answer, errors included', async () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    ajv.addSchema({ $id: 'openapi.json', components: doc.components });
    const check = async (who: Who, path: string, status: number, init: RequestInit = {}): Promise<void> => {
      const headers = who === 'public' ? {} : { authorization: `Bearer ${TOKENS[who]}` };
      const response = await fetch(`${api.url}${path}`, { ...init, headers: { ...headers, ...(init.body ? { 'content-type': 'application/json' } : {}) } });
      const body: unknown = await response.json();
      expect({ path, status: response.status }).toEqual({ path, status });
      const template = Object.keys(doc.paths).find((p) => new RegExp(`^${p.replace(/\{\w+\}/g, '[^/]+')}$`).test(path.split('?')[0]!))!;
      const op = doc.paths[template][(init.method ?? 'GET').toLowerCase()];
      const { $ref } = resolve(op.responses[String(status)]).content['application/json'].schema as { $ref: string };
      const validate = ajv.getSchema(`openapi.json${$ref}`)!;
      expect({ path, status, errors: validate(body) ? null : validate.errors }).toEqual({ path, status, errors: null });
    };
    const range = `from=${T0}&to=${T0 + 60_000}`;
    await check('bureau', `/api/v1/readings?${range}`, 200);
    await check('bureau', `/api/v1/readings?${range}&every=10s`, 200);
    await check('ent-a', `/api/v1/readings?${range}&every=auto&fields=mean`, 200);
    await check('bureau', `/api/v1/loads?${range}&every=1m`, 200);
    await check('ent-a', '/api/v1/outfalls', 200);
    for (const who of ['bureau', 'ent-a', 'public'] as const) {
      await check(who, '/api/v1/me', 200);
      await check(who, '/api/v1/enterprises', 200);
      await check(who, '/api/v1/limits?outfall=out-a', 200);
    }
    await check('public', `/api/v1/readings?${range}`, 401);
    await check('ent-a', `/api/v1/readings?${range}&enterprise=ent-b`, 403);
    await check('ent-a', '/api/v1/traceability', 403, { method: 'POST', body: '{}' });
    await check('bureau', '/api/v1/readings?from=1', 400);
  });
});
