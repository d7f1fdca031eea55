/**
 * The HTTP API over a real InfluxDB (Debian's influxd, started here).
 */
import { generateDeviceKeyPair } from '@qingliu/protocol';
import type { PollutantCode } from '@qingliu/protocol';
import { startInfluxd } from '@qingliu/testkit';
import type { InfluxdServer } from '@qingliu/testkit';
import { emptyIngestStats } from '../ingest/ingest-stats.js';
import type { ReadingStore, StoredReading } from '../ports/reading-store.js';
import { DeviceRegistry } from '../registry/device-registry.js';
import { createInfluxStore } from '../store/influx-store.js';
import { startApiServer } from './api-server.js';
import type { ApiServer } from './api-server.js';
import { declaredRoutes, hashApiToken } from './roles.js';

const T0 = Date.UTC(2026, 10, 24, 0, 0, 0);
const BUREAU_TOKEN = 'bureau-token-for-the-api-test';
const registry = new DeviceRegistry([
  { device: 'dev-a', enterprise: 'ent-a', outfall: 'out-a', publicKey: generateDeviceKeyPair().publicKeyHex, sampleIntervalMs: 1000 },
]);

/** One sample a second for 120 s: flow 3600 m3/h (1 m3 per sample), COD 50 mg/L for the first minute, 20 after. */
function samples(): StoredReading[] {
  const out: StoredReading[] = [];
  let seq = 0;
  for (let s = 0; s < 120; s += 1) {
    const ts = T0 + s * 1000;
    const base = { enterprise: 'ent-a', outfall: 'out-a', device: 'dev-a', ts, flag: 'N' as const, batch: 1 };
    out.push({ ...base, pollutant: 'w00000' as PollutantCode, value: 3600, unit: 'm3/h', seq: seq++ });
    out.push({ ...base, pollutant: 'w01018' as PollutantCode, value: s < 60 ? 50 : 20, unit: 'mg/L', seq: seq++ });
  }
  return out;
}

describe('HTTP API', () => {
  let influxd: InfluxdServer;
  let store: ReadingStore;
  let api: ApiServer;
  const stats = { ...emptyIngestStats(), messages: 12, stored: 240, rejected: { SIGNATURE_INVALID: 3 } };

  beforeAll(async () => {
    influxd = await startInfluxd();
    store = await createInfluxStore({ url: influxd.url, database: 'qingliu' });
    await store.write(samples());
    api = await startApiServer({
      store,
      registry,
      metrics: { ingest: () => stats, batchesSettled: () => 2 },
      status: async () => ({ ok: 1 }),
      tokens: [{ sha256: hashApiToken(BUREAU_TOKEN), role: 'bureau' }],
    });
  });

  afterAll(async () => {
    await api?.close();
    await influxd?.stop();
  });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field below
  const get = async (path: string): Promise<{ status: number; body: any }> => {
    const response = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${BUREAU_TOKEN}` } });
    const text = await response.text();
    return { status: response.status, body: response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
  };
  const range = `from=${new Date(T0).toISOString()}&to=${T0 + 120_000}`;

  it('returns the readings of a range, filtered by pollutant, oldest first', async () => {
    const { status, body } = await get(`/api/v1/readings?${range}&pollutant=w01018&device=dev-a`);
    expect(status).toBe(200);
    expect(body.readings).toHaveLength(120);
    expect(body.readings[0]).toMatchObject({ ts: T0, value: 50, pollutant: 'w01018', seq: 1 });
    expect(body.readings[119]).toMatchObject({ ts: T0 + 119_000, value: 20 });
  });

  it('picks the window itself with every=auto: 2 minutes at 1,000 points is 1 s', async () => {
    const { body } = await get(`/api/v1/readings?${range}&pollutant=w01018&every=auto`);
    expect(body.everyMs).toBe(1000);
    expect(body.windows).toHaveLength(120);
  });

  it('gives a chart the mean per window only with fields=mean, at most `points` per series', async () => {
    const { body } = await get(`/api/v1/readings?${range}&pollutant=w01018&every=auto&fields=mean&points=12`);
    expect(body.everyMs).toBe(10_000);
    expect(body.windows).toHaveLength(12);
    expect(body.windows[0]).toEqual({ ts: T0, enterprise: 'ent-a', outfall: 'out-a', device: 'dev-a', pollutant: 'w01018', mean: 50 });
    expect(body.windows[11]).toMatchObject({ ts: T0 + 110_000, mean: 20 });
  });

  it('downsamples to mean, min, max and count per window', async () => {
    const { body } = await get(`/api/v1/readings?${range}&pollutant=w01018&every=1m`);
    expect(body.windows).toEqual([
      expect.objectContaining({ ts: T0, mean: 50, min: 50, max: 50, count: 60 }),
      expect.objectContaining({ ts: T0 + 60_000, mean: 20, min: 20, max: 20, count: 60 }),
    ]);
  });

  it('gives the load per window: 60 samples of 1 m3 at 50 mg/L is 3 kg', async () => {
    const { status, body } = await get(`/api/v1/loads?${range}&every=1m&enterprise=ent-a`);
    expect(status).toBe(200);
    expect(body.loads).toEqual([
      expect.objectContaining({ enterprise: 'ent-a', pollutant: 'w01018', milligrams: '3000000', kg: 3, samples: 60, flaggedSamples: 0, missingSamples: 0 }),
      expect.objectContaining({ enterprise: 'ent-a', pollutant: 'w01018', milligrams: '1200000', kg: 1.2, samples: 60 }),
    ]);
  });

  it.each([
    ['/api/v1/readings?from=yesterday&to=1', /from/],
    [`/api/v1/readings?${range}&device=dev'a`, /device/],
    [`/api/v1/readings?${range}&pollutant=w99999`, /pollutant/],
    ['/api/v1/readings?to=1', /from/],
    [`/api/v1/loads?${range}&every=1fortnight`, /every/],
    [`/api/v1/readings?from=${T0 + 10}&to=${T0}`, /after/],
  ])('refuses %s with a 400 naming the bad parameter', async (path, named) => {
    const { status, body } = await get(path);
    expect(status).toBe(400);
    expect(body.error).toMatch(named);
  });

  it('exposes the ingest counters as Prometheus metrics', async () => {
    const { status, body } = await get('/metrics');
    expect(status).toBe(200);
    expect(body).toMatch(/^qingliu_ingest_readings_stored_total 240$/m);
    expect(body).toMatch(/^qingliu_ingest_rejected_messages_total\{reason="SIGNATURE_INVALID"\} 3$/m);
    stats.stored = 250;
    expect((await get('/metrics')).body).toMatch(/^qingliu_ingest_readings_stored_total 250$/m);
  });

  it('serves its OpenAPI document and a health check', async () => {
    expect((await get('/health')).body).toEqual({ ok: true });
    const { body } = await get('/api/v1/openapi.json');
    expect(body.openapi).toBe('3.1.0');
    expect(Object.keys(body.paths)).toEqual(expect.arrayContaining(['/api/v1/readings', '/api/v1/loads', '/metrics']));
    // 3.1 schemas are JSON Schema: a missing sample is `type: [number, null]`, not 3.0's `nullable`.
    expect(JSON.stringify(body)).not.toContain('"nullable"');
    expect(body.paths['/api/v1/traceability'].post.requestBody.content['application/json'].schema.properties.station.properties.values.items).toEqual({ type: ['number', 'null'] });
  });

  it('documents every API route it serves, with the roles the route enforces', async () => {
    const { body } = await get('/api/v1/openapi.json');
    const paths = body.paths as Record<string, Record<string, { 'x-roles'?: string[] }>>;
    const routes = declaredRoutes(api.app);
    expect(routes.length).toBeGreaterThan(10);
    for (const route of routes) {
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      const doc = paths[path]?.[route.method.toLowerCase()];
      expect({ route: `${route.method} ${path}`, documented: doc !== undefined }).toEqual({ route: `${route.method} ${path}`, documented: true });
      expect({ route: `${route.method} ${path}`, roles: [...(doc!['x-roles'] ?? [])].sort() }).toEqual({ route: `${route.method} ${path}`, roles: [...route.roles].sort() });
    }
  });
});
