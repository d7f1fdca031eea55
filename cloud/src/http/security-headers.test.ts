/**
 * Every answer of the API carries the security headers: data, errors, refusals, 404s, metrics
 * and the event stream, while the dashboards keep their own page policy.
 */
import { generateDeviceKeyPair } from '@qingliu/protocol';
import type { LedgerEventFeed } from '../chain/ledger-events.js';
import { emptyIngestStats } from '../ingest/ingest-stats.js';
import type { ReadingStore } from '../ports/reading-store.js';
import { DeviceRegistry } from '../registry/device-registry.js';
import { startApiServer } from './api-server.js';
import type { ApiServer } from './api-server.js';
import { hashApiToken } from './roles.js';

const TOKEN = 'tok-headers-bureau';
const registry = new DeviceRegistry([
  { device: 'dev-a', enterprise: 'ent-a', outfall: 'out-a', publicKey: generateDeviceKeyPair().publicKeyHex, sampleIntervalMs: 1000 },
]);
const feed: LedgerEventFeed = { subscribe: () => () => undefined, recent: () => [], close: async () => undefined };

describe('API security headers', () => {
  let api: ApiServer;

  beforeAll(async () => {
    api = await startApiServer({
      store: {} as ReadingStore,
      registry,
      metrics: { ingest: emptyIngestStats, batchesSettled: () => 0 },
      status: async () => ({}),
      tokens: [{ sha256: hashApiToken(TOKEN), role: 'bureau' }],
      ledgerEvents: feed,
      dashboards: { rpcUrl: 'http://127.0.0.1:8545', contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' },
    });
  });

  afterAll(() => api?.close());

  const expectApiHeaders = (path: string, headers: Headers): void => {
    const names = ['content-security-policy', 'x-content-type-options', 'referrer-policy', 'x-frame-options'];
    const got = Object.fromEntries(names.map((name) => [name, headers.get(name)]));
    expect({ path, headers: got }).toEqual({
      path,
      headers: {
        'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'x-frame-options': 'DENY',
      },
    });
  };

  it.each<[string, Record<string, string>, number]>([
    ['/api/v1/me', { authorization: `Bearer ${TOKEN}` }, 200],
    ['/api/v1/openapi.json', {}, 200],
    ['/api/v1/readings', {}, 401],
    ['/api/v1/me', { authorization: 'Bearer not-a-token' }, 401],
    ['/api/v1/readings?from=x', { authorization: `Bearer ${TOKEN}` }, 400],
    ['/api/v1/nowhere', {}, 404],
    ['/health', {}, 200],
    ['/metrics', {}, 200],
  ])('GET %s (%j) answers %d with the headers', async (path, headers, status) => {
    const response = await fetch(`${api.url}${path}`, { headers });
    await response.arrayBuffer();
    expect(response.status).toBe(status);
    expectApiHeaders(path, response.headers);
  });

  it('sends them on the event stream, which writes its own head', async () => {
    const controller = new AbortController();
    const response = await fetch(`${api.url}/api/v1/events`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expectApiHeaders('/api/v1/events', response.headers);
    controller.abort();
  });

  it("leaves the pages their own policy: scripts from this server, the chain's JSON-RPC reachable", async () => {
    const response = await fetch(`${api.url}/dashboard/enterprise.html`);
    await response.arrayBuffer();
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/(^|; )script-src 'self'(;|$)/);
    expect(csp).toMatch(/(^|; )connect-src 'self' http: https:(;|$)/);
    expect(csp).toMatch(/(^|; )frame-ancestors 'none'(;|$)/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
