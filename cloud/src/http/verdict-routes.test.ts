/**
 * The bureau's verdicts on alerts and the enterprises' records, through the HTTP API, against
 * real anvil nodes: AlertRegistry, Blacklist and EmissionLedger deployed, alerts recorded by
 * the oracle, verdicts sent with the bureau's key, the records read back from the chain.
 */
import { createHash } from 'node:crypto';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { Wallet, hexlify, randomBytes } from 'ethers';
import { generateDeviceKeyPair } from '@qingliu/protocol';
import { startAnvil } from '@qingliu/testkit';
import type { AnvilServer } from '@qingliu/testkit';
import { createBureauClient } from '../chain/bureau-client.js';
import type { BureauClient } from '../chain/bureau-client.js';
import { deployAlertRegistry, deployBlacklist, deployEmissionLedger } from '../chain/deploy.js';
import { createEvmAlertLedger } from '../chain/evm-alert-ledger.js';
import { createEvmEnterpriseRecord } from '../chain/evm-enterprise-record.js';
import type { AlertLedger, AlertRecord } from '../ports/alert-ledger.js';
import type { EnterpriseRecordSource } from '../ports/enterprise-record.js';
import { DeviceRegistry } from '../registry/device-registry.js';
import { alertIdsEvidenceHash, recordRoutes } from './record-routes.js';
import { registerErrorHandler } from './error-handler.js';
import { hashApiToken, registerApiRoles } from './roles.js';
import { verdictRoutes } from './verdict-routes.js';

const TOKENS = { bureau: 'tok-bureau-1', 'ent-a': 'tok-ent-a-1', 'ent-b': 'tok-ent-b-1' } as const;
type Who = keyof typeof TOKENS | 'public';

const registry = new DeviceRegistry([
  { device: 'dev-a', enterprise: 'ent-a', outfall: 'out-a', publicKey: generateDeviceKeyPair().publicKeyHex, sampleIntervalMs: 1000 },
  { device: 'dev-b', enterprise: 'ent-b', outfall: 'out-b', publicKey: generateDeviceKeyPair().publicKeyHex, sampleIntervalMs: 1000 },
]);

interface Chain {
  anvil: AnvilServer;
  oracle: AlertLedger;
  bureau: BureauClient;
  records: EnterpriseRecordSource;
  app: FastifyInstance;
  url: string;
}

/** A fresh chain with the three contracts, and an API over it (blacklisting from one confirmed alert on). */
async function startChain(): Promise<Chain> {
  const anvil = await startAnvil();
  const [adminKey, bureauKey, oracleKey] = anvil.accounts as [string, string, string];
  const roles = { rpcUrl: anvil.rpcUrl, deployerKey: adminKey, bureau: new Wallet(bureauKey).address, oracle: new Wallet(oracleKey).address };
  const ledger = await deployEmissionLedger(roles);
  const blacklist = await deployBlacklist(roles);
  const alerts = await deployAlertRegistry(roles);
  const oracle = await createEvmAlertLedger({ rpcUrl: anvil.rpcUrl, privateKey: oracleKey, address: alerts.address, knownIds: ['ent-a', 'ent-b', 'out-a', 'out-b'] });
  const bureau = await createBureauClient({ rpcUrl: anvil.rpcUrl, privateKey: bureauKey, address: ledger.address, blacklist: blacklist.address, alertRegistry: alerts.address });
  await bureau.allocate('ent-a', 'w01018', 1_000_000n);
  const records = await createEvmEnterpriseRecord({
    rpcUrl: anvil.rpcUrl,
    emissionLedger: ledger.address,
    alertRegistry: alerts.address,
    blacklist: blacklist.address,
    pollutants: ['w01018'],
  });
  const app = Fastify();
  registerErrorHandler(app);
  registerApiRoles(app, {
    registry,
    tokens: [
      { sha256: hashApiToken(TOKENS.bureau), role: 'bureau' },
      { sha256: hashApiToken(TOKENS['ent-a']), role: 'enterprise', enterprise: 'ent-a' },
      { sha256: hashApiToken(TOKENS['ent-b']), role: 'enterprise', enterprise: 'ent-b' },
    ],
  });
  app.setReplySerializer((payload) => JSON.stringify(payload, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
  await verdictRoutes(app, { alertLedger: oracle, bureau });
  await recordRoutes(app, { records, bureau, registry, policy: { blacklistThreshold: 1 } });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { anvil, oracle, bureau, records, app, url };
}

async function stopChain(chain: Chain | undefined): Promise<void> {
  await chain?.app.close();
  await chain?.records.close();
  await chain?.bureau.close();
  await chain?.oracle.close();
  await chain?.anvil.stop();
}

const hash32 = (): string => hexlify(randomBytes(32));
const alert = (enterprise: 'ent-a' | 'ent-b'): AlertRecord => ({
  alertId: hash32(),
  evidenceHash: hash32(),
  enterprise,
  outfall: enterprise === 'ent-a' ? 'out-a' : 'out-b',
  kind: 'ph-out-of-range',
  start: Date.now() - 60_000,
  end: Date.now() - 30_000,
});

async function call(chain: Chain, who: Who, method: 'GET' | 'POST', url: string, payload?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${chain.url}${url}`, {
    method,
    headers: { ...(who === 'public' ? {} : { authorization: `Bearer ${TOKENS[who]}` }), ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('POST /api/v1/alerts/:id/verdict and the records, on anvil', () => {
  let chain: Chain;

  beforeAll(async () => {
    chain = await startChain();
  });
  afterAll(() => stopChain(chain));

  const verdict = (who: Who, alertId: string, body: unknown): ReturnType<typeof call> => call(chain, who, 'POST', `/api/v1/alerts/${alertId}/verdict`, body);

  it('lets the bureau confirm a recorded alert with the sha256 of its reason, and the chain holds the verdict', async () => {
    const a = alert('ent-a');
    await chain.oracle.record(a);
    const reason = 'inspection report 2026-117: pH 3.2 at the outfall, acid tank drained';
    const { status, body } = await verdict('bureau', a.alertId, { verdict: 'confirmed', reason });
    expect(status).toBe(200);
    expect(body).toEqual({
      alertId: a.alertId,
      enterprise: 'ent-a',
      verdict: 'confirmed',
      reasonHash: `0x${createHash('sha256').update(reason).digest('hex')}`,
      txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/),
    });
    expect((await chain.oracle.get(a.alertId))?.verdict).toBe('confirmed');
    expect(await chain.oracle.confirmedCount('ent-a')).toBe(1);
  });

  it('lets the bureau dismiss one; a second verdict on it is 409 naming the first', async () => {
    const a = alert('ent-b');
    await chain.oracle.record(a);
    expect((await verdict('bureau', a.alertId, { verdict: 'dismissed', reason: 'analyzer calibration, log 2026-118' })).status).toBe(200);
    const again = await verdict('bureau', a.alertId, { verdict: 'confirmed', reason: 'second thoughts' });
    expect(again).toEqual({ status: 409, body: { error: `alert ${a.alertId} is dismissed already: a verdict is final`, code: 'ALERT_DECIDED', verdict: 'dismissed' } });
    expect(await chain.oracle.confirmedCount('ent-b')).toBe(0);
  });

  it('refuses enterprises (403, their own alert too) and the public (401), and nothing changes on chain', async () => {
    const a = alert('ent-b');
    await chain.oracle.record(a);
    const body = { verdict: 'dismissed', reason: 'we say it was fine' };
    expect(await verdict('ent-b', a.alertId, body)).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    expect(await verdict('ent-a', a.alertId, body)).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    expect(await verdict('public', a.alertId, body)).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
    expect((await chain.oracle.get(a.alertId))?.verdict).toBe('pending');
  });

  it('answers 404 for an alert the chain does not hold (unknown, or not recorded yet)', async () => {
    const id = hash32();
    expect(await verdict('bureau', id, { verdict: 'confirmed', reason: 'r' })).toEqual({
      status: 404,
      body: { error: `alert ${id} is not on chain: unknown, or not closed and recorded yet`, code: 'ALERT_UNKNOWN' },
    });
  });

  it('answers 400 for a malformed id, verdict or missing reason', async () => {
    const a = alert('ent-a');
    expect((await verdict('bureau', '0x1234', { verdict: 'confirmed', reason: 'r' })).status).toBe(400);
    expect((await verdict('bureau', a.alertId, { verdict: 'maybe', reason: 'r' })).status).toBe(400);
    expect((await verdict('bureau', a.alertId, { verdict: 'confirmed' })).status).toBe(400);
    expect((await verdict('bureau', a.alertId, { verdict: 'confirmed', reason: '' })).status).toBe(400);
  });

  it("serves the score from the chain: the bureau every enterprise's, an enterprise its own only", async () => {
    const all = await call(chain, 'bureau', 'GET', '/api/v1/records');
    expect(all.status).toBe(200);
    const byEnterprise = new Map((all.body['records'] as { enterprise: string; score: number; facts: { confirmedAlerts: number } }[]).map((r) => [r.enterprise, r]));
    expect(byEnterprise.get('ent-a')).toMatchObject({ score: 85, blacklistProposed: true, facts: { confirmedAlerts: 1, confirmedTotal: 1, blacklisted: false } });
    expect(byEnterprise.get('ent-b')).toMatchObject({ score: 100, blacklistProposed: false, facts: { confirmedAlerts: 0 } });
    const own = await call(chain, 'ent-a', 'GET', '/api/v1/records');
    expect((own.body['records'] as { enterprise: string }[]).map((r) => r.enterprise)).toEqual(['ent-a']);
    expect(own.body['records']).toMatchObject([{ blacklistProposed: false }]); // the bureau's action only
    expect((await call(chain, 'ent-a', 'GET', '/api/v1/records?enterprise=ent-b')).status).toBe(403);
    expect((await call(chain, 'public', 'GET', '/api/v1/records')).status).toBe(401);
  });

  it("blacklists an enterprise at the threshold with the hash of its confirmed alerts' ids; not below it, not twice", async () => {
    expect(await call(chain, 'ent-a', 'POST', '/api/v1/enterprises/ent-a/blacklist', {})).toMatchObject({ status: 403 });
    expect(await call(chain, 'bureau', 'POST', '/api/v1/enterprises/ent-b/blacklist', {})).toMatchObject({ status: 409, body: { code: 'NOT_PROPOSED' } });
    expect(await call(chain, 'bureau', 'POST', '/api/v1/enterprises/ent-zz/blacklist', {})).toMatchObject({ status: 404, body: { code: 'ENTERPRISE_UNKNOWN' } });
    const { facts } = ((await call(chain, 'bureau', 'GET', '/api/v1/records?enterprise=ent-a')).body['records'] as { facts: { confirmedAlertIds: string[] } }[])[0]!;
    const listed = await call(chain, 'bureau', 'POST', '/api/v1/enterprises/ent-a/blacklist', {});
    expect(listed).toMatchObject({ status: 200, body: { enterprise: 'ent-a', reason: 'illegalDischarge', reasonCode: 2, alertIds: facts.confirmedAlertIds } });
    expect(listed.body['evidenceHash']).toBe(alertIdsEvidenceHash(facts.confirmedAlertIds));
    expect(await chain.bureau.blacklist.isBlacklisted('ent-a')).toBe(true);
    expect(await call(chain, 'bureau', 'POST', '/api/v1/enterprises/ent-a/blacklist', {})).toMatchObject({ status: 409, body: { error: 'ent-a is listed already' } });
    const after = await call(chain, 'bureau', 'GET', '/api/v1/records?enterprise=ent-a');
    expect(after.body['records']).toMatchObject([{ score: 0, blacklistProposed: false, facts: { blacklisted: true } }]);
  });
});

describe('POST /api/v1/alerts/:id/verdict when the chain is down', () => {
  it('answers 503 with retryable: true', async () => {
    const chain = await startChain();
    try {
      const a = alert('ent-a');
      await chain.oracle.record(a);
      await chain.anvil.stop();
      const response = await fetch(`${chain.url}/api/v1/alerts/${a.alertId}/verdict`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKENS.bureau}`, 'content-type': 'application/json' },
        body: JSON.stringify({ verdict: 'confirmed', reason: 'r' }),
      });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      await expect(response.json()).resolves.toMatchObject({ code: 'CHAIN_UNAVAILABLE', retryable: true });
      expect((await call(chain, 'bureau', 'GET', '/api/v1/records')).status).toBe(503);
    } finally {
      await stopChain(chain);
    }
  });
});
