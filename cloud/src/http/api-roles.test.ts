/**
 * Who may call what: every /api/v1 route for the bureau, each enterprise and the public,
 * allowed and refused, over a real InfluxDB (Debian's influxd, started here).
 */
import Fastify from 'fastify';
import { generateDeviceKeyPair } from '@qingliu/protocol';
import type { PollutantCode } from '@qingliu/protocol';
import { startInfluxd } from '@qingliu/testkit';
import type { InfluxdServer } from '@qingliu/testkit';
import type { LedgerEvent, LedgerEventFeed } from '../chain/ledger-events.js';
import { emptyIngestStats } from '../ingest/ingest-stats.js';
import type { ReadingStore, StoredReading } from '../ports/reading-store.js';
import { DeviceRegistry } from '../registry/device-registry.js';
import { GB18918_CLASS_1A } from '../registry/permit-limits.js';
import { createInfluxStore } from '../store/influx-store.js';
import { startApiServer } from './api-server.js';
import type { ApiServer } from './api-server.js';
import { hashApiToken, registerApiRoles, requireRole } from './roles.js';

const TOKENS = { bureau: 'tok-bureau-7f3a', 'ent-a': 'tok-ent-a-91c2', 'ent-b': 'tok-ent-b-55e0' } as const;
type Who = keyof typeof TOKENS | 'public';

const registry = new DeviceRegistry([
  { device: 'dev-a', enterprise: 'ent-a', outfall: 'out-a', publicKey: generateDeviceKeyPair().publicKeyHex, sampleIntervalMs: 1000 },
  { device: 'dev-b', enterprise: 'ent-b', outfall: 'out-b', publicKey: generateDeviceKeyPair().publicKeyHex, sampleIntervalMs: 1000 },
]);

/** 20 s of readings a second ago: ent-a's COD at 40 mg/L (under the 50 limit), ent-b's at 80 (over it). */
function recentSamples(now: number): StoredReading[] {
  const out: StoredReading[] = [];
  for (const [device, enterprise, outfall, cod] of [['dev-a', 'ent-a', 'out-a', 40], ['dev-b', 'ent-b', 'out-b', 80]] as const) {
    for (let s = 0; s < 20; s += 1) {
      const ts = now - 21_000 + s * 1000;
      const base = { enterprise, outfall, device, ts, flag: 'N' as const, batch: 1 };
      out.push({ ...base, pollutant: 'w00000' as PollutantCode, value: 360, unit: 'm3/h', seq: 2 * s });
      out.push({ ...base, pollutant: 'w01018' as PollutantCode, value: cod, unit: 'mg/L', seq: 2 * s + 1 });
    }
  }
  return out;
}

const event = (n: number, fields: Record<string, unknown>): LedgerEvent =>
  ({ id: `${n}-0`, txHash: `0x${String(n).padStart(64, '0')}`, blockNumber: n, time: n * 1000, ...fields }) as LedgerEvent;

/** A feed holding three events: an anchoring, and a warning each for ent-a and ent-b. */
const feed: LedgerEventFeed = {
  subscribe: () => () => undefined,
  recent: () => [
    event(1, { type: 'BatchSettled', batchId: '7', root: `0x${'ab'.repeat(32)}`, readingCount: 80 }),
    event(2, { type: 'TopUpWarning', enterprise: 'ent-a', pollutant: 'w01018', batchId: '7', reason: 'Below20Percent', balance: '5', secondsToDepletion: '60' }),
    event(3, { type: 'TopUpWarning', enterprise: 'ent-b', pollutant: 'w01018', batchId: '7', reason: 'Depleted', balance: '-5', secondsToDepletion: '0' }),
  ],
  close: async () => undefined,
};

/** The device the agents' status reports call offline, if any. */
let offlineDevice: string | undefined;

describe('API roles: bureau, enterprise and public', () => {
  let influxd: InfluxdServer;
  let store: ReadingStore;
  let api: ApiServer;
  const from = Date.now() - 120_000;
  const range = `from=${from}&to=${from + 240_000}`;

  beforeAll(async () => {
    influxd = await startInfluxd();
    store = await createInfluxStore({ url: influxd.url, database: 'qingliu' });
    await store.write(recentSamples(Date.now()));
    api = await startApiServer({
      store,
      registry,
      metrics: { ingest: emptyIngestStats, batchesSettled: () => 0 },
      status: async () => ({ ok: 1 }),
      proofs: { prove: async (device, seq) => ({ device, seq }) as never },
      tokens: [
        { sha256: hashApiToken(TOKENS.bureau), role: 'bureau' },
        { sha256: hashApiToken(TOKENS['ent-a']), role: 'enterprise', enterprise: 'ent-a' },
        { sha256: hashApiToken(TOKENS['ent-b']), role: 'enterprise', enterprise: 'ent-b' },
      ],
      limits: GB18918_CLASS_1A,
      agentStatus: {
        deviceStatus: (device) =>
          device === offlineDevice ? { online: false, reportedAt: Date.now(), error: 'edge agent offline (stopped)' } : { online: true, reportedAt: Date.now() },
      },
      ledgerEvents: feed,
    });
  });

  afterAll(async () => {
    await api?.close();
    await influxd?.stop();
  });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field below
  async function get(who: Who | { raw: string }, path: string): Promise<{ status: number; body: any }> {
    const authorization = typeof who === 'object' ? who.raw : who === 'public' ? undefined : `Bearer ${TOKENS[who]}`;
    const response = await fetch(`${api.url}${path}`, { headers: authorization ? { authorization } : {} });
    const text = await response.text();
    return { status: response.status, body: response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
  }

  const readings = `/api/v1/readings?${range}`;
  const loads = `/api/v1/loads?${range}&every=1m`;
  it.each<[Who, string, number]>([
    ['bureau', readings, 200],
    ['bureau', `${readings}&enterprise=ent-b`, 200],
    ['ent-a', readings, 200],
    ['ent-a', `${readings}&enterprise=ent-a&outfall=out-a&device=dev-a`, 200],
    ['ent-a', `${readings}&enterprise=ent-b`, 403],
    ['ent-a', `${readings}&outfall=out-b`, 403],
    ['ent-a', `${readings}&device=dev-b`, 403],
    ['ent-b', `${readings}&device=dev-a`, 403],
    ['public', readings, 401],
    ['bureau', loads, 200],
    ['ent-b', loads, 200],
    ['ent-b', `${loads}&enterprise=ent-a`, 403],
    ['ent-b', `${loads}&outfall=out-a`, 403],
    ['public', loads, 401],
    ['bureau', `/api/v1/proofs/dev-a/1?ts=${from}`, 200],
    ['ent-a', `/api/v1/proofs/dev-a/1?ts=${from}`, 200],
    ['ent-a', `/api/v1/proofs/dev-b/1?ts=${from}`, 403],
    ['public', `/api/v1/proofs/dev-a/1?ts=${from}`, 401],
    ['bureau', '/api/v1/outfalls', 200],
    ['ent-a', '/api/v1/outfalls', 200],
    ['ent-a', '/api/v1/outfalls?enterprise=ent-b', 403],
    ['public', '/api/v1/outfalls', 401],
    ...(['bureau', 'ent-a', 'public'] as const).flatMap((who): [Who, string, number][] => [
      [who, '/api/v1/me', 200],
      [who, '/api/v1/enterprises', 200],
      [who, '/api/v1/limits', 200],
      [who, '/api/v1/openapi.json', 200],
    ]),
  ])('%s GET %s -> %d', async (who, path, status) => {
    const answer = await get(who, path);
    expect(answer.status).toBe(status);
    if (status === 403) expect(answer.body).toEqual({ error: expect.stringMatching(/^enterprise ent-[ab] may not read .+: it is not its own$/), code: 'FORBIDDEN' });
    if (status === 401) expect(answer.body).toEqual({ error: expect.stringMatching(/bearer token/), code: 'UNAUTHENTICATED' });
  });

  it("gives an enterprise its own readings only, even when it does not filter", async () => {
    const own = await get('ent-a', readings);
    expect(own.body.readings.length).toBe(40);
    expect(new Set(own.body.readings.map((r: StoredReading) => r.enterprise))).toEqual(new Set(['ent-a']));
    expect((await get('bureau', readings)).body.readings.length).toBe(80);
    const charged = await get('ent-b', loads);
    expect(new Set(charged.body.loads.map((l: { enterprise: string }) => l.enterprise))).toEqual(new Set(['ent-b']));
  });

  it('names the enterprises to the public, and their outfalls only to whom they belong', async () => {
    expect((await get('public', '/api/v1/enterprises')).body).toEqual({ enterprises: [{ enterprise: 'ent-a' }, { enterprise: 'ent-b' }] });
    expect((await get('ent-b', '/api/v1/enterprises')).body).toEqual({ enterprises: [{ enterprise: 'ent-b', outfalls: [{ outfall: 'out-b', devices: ['dev-b'] }] }] });
    expect((await get('bureau', '/api/v1/enterprises')).body.enterprises).toHaveLength(2);
    expect((await get('ent-a', '/api/v1/me')).body).toEqual({ role: 'enterprise', enterprise: 'ent-a' });
    expect((await get('public', '/api/v1/me')).body).toEqual({ role: 'public' });
  });

  it('puts an outfall whose COD mean breaks its limit in alarm, and shows an enterprise its own outfalls only', async () => {
    const all = (await get('bureau', '/api/v1/outfalls')).body.outfalls;
    expect(all.map((o: { outfall: string; state: string }) => [o.outfall, o.state])).toEqual([['out-a', 'online'], ['out-b', 'alarm']]);
    expect(all[1].reasons).toEqual(['COD 80.00 mg/L above the limit 50']);
    expect(all[0].limits).toEqual(expect.arrayContaining([expect.objectContaining({ pollutant: 'w01018', max: 50 })]));
    const own = (await get('ent-a', '/api/v1/outfalls')).body.outfalls;
    expect(own.map((o: { outfall: string }) => o.outfall)).toEqual(['out-a']);
  });

  it('keeps an outfall whose readings arrive in alarm when its agent reports it offline, and shows the report as suspicious', async () => {
    // ent-b's COD is at 80 (limit 50): reporting its own device offline must not hide the exceedance.
    offlineDevice = 'dev-b';
    try {
      const [a, b] = (await get('bureau', '/api/v1/outfalls')).body.outfalls;
      expect(b).toMatchObject({ outfall: 'out-b', state: 'alarm', reasons: ['COD 80.00 mg/L above the limit 50'] });
      expect(b.suspicious).toEqual([expect.stringMatching(/^dev-b: reported offline by its edge agent \(edge agent offline \(stopped\)\) while \d+ readings arrived/)]);
      expect(b.devices[0]).toMatchObject({ device: 'dev-b', state: 'online', statusConflict: expect.stringContaining('reported offline') });
      expect(a).toMatchObject({ outfall: 'out-a', state: 'online', suspicious: [] });
    } finally {
      offlineDevice = undefined;
    }
  });

  it.each<[Who, string[]]>([
    ['bureau', ['BatchSettled', 'TopUpWarning ent-a', 'TopUpWarning ent-b']],
    ['ent-a', ['BatchSettled', 'TopUpWarning ent-a']],
    ['ent-b', ['BatchSettled', 'TopUpWarning ent-b']],
    ['public', ['BatchSettled']],
  ])('streams %s the ledger events it may see: %j', async (who, expected) => {
    const controller = new AbortController();
    const response = await fetch(`${api.url}/api/v1/events`, {
      headers: who === 'public' ? {} : { authorization: `Bearer ${TOKENS[who]}` },
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.getReader();
    let text = '';
    // The backlog arrives at once; stop reading once it has (a stream never ends by itself).
    while ((text.match(/^data: /gm) ?? []).length < expected.length) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
    }
    await new Promise((resolve) => setTimeout(resolve, 100)); // anything more would arrive with it
    const { value } = await Promise.race([reader.read(), new Promise<{ value: undefined }>((resolve) => setTimeout(() => resolve({ value: undefined }), 50))]);
    if (value) text += Buffer.from(value).toString('utf8');
    controller.abort();
    const received = [...text.matchAll(/^data: (.+)$/gm)].map((m) => JSON.parse(m[1]!) as LedgerEvent);
    expect(received.map((e) => (e.type === 'BatchSettled' ? e.type : `${e.type} ${e.enterprise}`))).toEqual(expected);
  });

  it('refuses an unknown or malformed token on the API, yet keeps /health and /metrics open', async () => {
    expect((await get({ raw: 'Bearer not-a-token' }, '/api/v1/me')).status).toBe(401);
    expect((await get({ raw: 'Basic dXNlcjpwdw==' }, '/api/v1/me')).status).toBe(401);
    expect((await get({ raw: 'Bearer not-a-token' }, '/health')).status).toBe(200);
    expect((await get('public', '/metrics')).status).toBe(200);
  });

  it('refuses to register an /api/v1 route that does not say who may call it', async () => {
    const app = Fastify();
    registerApiRoles(app, { tokens: [], registry });
    app.get('/api/v1/declared', requireRole('bureau'), async () => ({}));
    expect(() => app.get('/api/v1/undeclared', async () => ({}))).toThrow(/declare who may call it/);
    await app.close();
  });
});
