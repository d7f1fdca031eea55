/**
 * What the API refuses before it reads anything: a caller who may not call a route (401, 403,
 * before its input is looked at), and ranges no answer should be computed for (400).
 * The store here fails every read, so a refusal that came after one would show as a 500.
 */
import { generateDeviceKeyPair } from '@qingliu/protocol';
import type { ReadingStore } from '../ports/reading-store.js';
import { DeviceRegistry } from '../registry/device-registry.js';
import type { ApiServer } from './api-server.js';
import { startTestApi } from './test-api.js';

const TOKENS = { bureau: 'tok-refusals-bureau', 'ent-a': 'tok-refusals-ent-a' } as const;
type Who = keyof typeof TOKENS | 'public';

const registry = new DeviceRegistry([
  { device: 'dev-a', enterprise: 'ent-a', outfall: 'out-a', publicKey: generateDeviceKeyPair().publicKeyHex, sampleIntervalMs: 1000 },
]);

const unread = (): never => {
  throw new Error('the store was read');
};
const store = new Proxy({}, { get: () => unread }) as ReadingStore;

describe('API refusals before anything is read', () => {
  let api: ApiServer;

  beforeAll(async () => {
    api = await startTestApi({ store, registry, tokens: TOKENS });
  });

  afterAll(() => api?.close());

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field below
  async function call(who: Who, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const headers: Record<string, string> = who === 'public' ? {} : { authorization: `Bearer ${TOKENS[who]}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${api.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: response.status, body: await response.json() };
  }

  it.each<[Who, 'GET' | 'POST', string, number, unknown]>([
    ['public', 'GET', '/api/v1/readings', 401, undefined],
    ['public', 'GET', '/api/v1/readings?from=yesterday&every=0s&bogus=1', 401, undefined],
    ['public', 'GET', '/api/v1/loads?every=1fortnight', 401, undefined],
    ['public', 'GET', "/api/v1/proofs/dev'a/x", 401, undefined],
    ['public', 'GET', '/api/v1/outfalls?enterprise=no%20such', 401, undefined],
    ['public', 'POST', '/api/v1/traceability', 401, { station: 'not an object' }],
    ['public', 'POST', '/api/v1/alerts/not-an-id/verdict', 401, {}],
    ['ent-a', 'POST', '/api/v1/traceability', 403, { station: 'not an object' }],
    ['ent-a', 'POST', '/api/v1/alerts/not-an-id/verdict', 403, { verdict: 'maybe' }],
    ['ent-a', 'POST', '/api/v1/enterprises/ent%20a/blacklist', 403, { reason: 'none' }],
  ])('%s %s %s with bad input: %d, not a 400 describing the input', async (who, method, path, status, body) => {
    const answer = await call(who, method, path, body);
    expect(answer).toEqual({ status, body: { error: expect.stringMatching(who === 'public' ? /needs a bearer token/ : /may not call/), code: status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN' } });
  });

  it('still tells an allowed caller what is wrong with its input', async () => {
    const answer = await call('bureau', 'GET', '/api/v1/readings?from=1');
    expect(answer).toEqual({ status: 400, body: { error: expect.stringMatching(/to/), code: 'FST_ERR_VALIDATION' } });
  });

  const range = 'from=0&to=3600000';
  it.each([
    `/api/v1/readings?${range}&every=0s`,
    `/api/v1/readings?${range}&every=0ms`,
    `/api/v1/readings?${range}&every=000h`,
    `/api/v1/loads?${range}&every=0s`,
    `/api/v1/loads?${range}&every=0d`,
    `/api/v1/loads?${range}&every=${'9'.repeat(400)}d`,
  ])('refuses a window under 1 ms, or too long to count in, with a 400 naming every: %s', async (path) => {
    const answer = await call('bureau', 'GET', path);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(/every/);
  });

  it.each(['readings', 'loads'])('refuses more than 10,000 windows in the range on /api/v1/%s', async (route) => {
    const answer = await call('bureau', 'GET', `/api/v1/${route}?from=0&to=10001000&every=1s`);
    expect(answer).toEqual({ status: 400, body: { error: expect.stringMatching(/^every: more than 10,000 windows in the range/), code: 'INPUT_INVALID' } });
  });
});
