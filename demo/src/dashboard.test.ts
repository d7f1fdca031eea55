/**
 * The dashboards in a real browser (Debian's chromium through playwright-core) against the
 * whole running pipeline: real readings in InfluxDB, real settlements on anvil, each view with
 * the token of whom it is for.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Wallet, keccak256, toUtf8Bytes } from 'ethers';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { pino } from 'pino';
import { createBureauClient } from '@qingliu/cloud/chain/bureau-client';
import { deployEmissionLedger } from '@qingliu/cloud/chain/deploy';
import { createEvmLedger } from '@qingliu/cloud/chain/evm-ledger';
import { createReadingProof } from '@qingliu/cloud/proofs/reading-proof';
import { verifyReadingProof } from '@qingliu/cloud/proofs/verify-proof';
import type { BureauClient } from '@qingliu/cloud/chain/bureau-client';
import type { Ledger } from '@qingliu/cloud/ports/ledger';
import type { ReadingProof } from '@qingliu/cloud/proofs/reading-proof';
import { waitFor } from '@qingliu/testkit';
import { buildReadingTree } from '@qingliu/protocol';
import type { PollutantCode, Reading } from '@qingliu/protocol';
import { startPipeline } from './pipeline.js';
import type { Pipeline } from './pipeline.js';

/** COD: 1 kg, a few minutes at the demo's rate. NH3-N: 0.3 g, used up in the first settlements (debt; ~0.2 g a period), so a top-up can be crossed again. */
const ALLOCATION: Partial<Record<PollutantCode, bigint>> = { w01018: 1_000_000n, w21003: 300n };
const NH3N: PollutantCode = 'w21003';
/** "0.983 kg", "983.0 g", "-60 mg" as kg. */
function shownKg(text: string | null): number {
  const match = /(-?[0-9.]+) (kg|g|mg)\b/.exec(text ?? '');
  if (!match) throw new Error(`no mass in "${text}"`);
  return Number(match[1]) / { kg: 1, g: 1e3, mg: 1e6 }[match[2] as 'kg' | 'g' | 'mg'];
}
const SCREENSHOTS = fileURLToPath(new URL('../../dashboards/docs/', import.meta.url));

describe('dashboards in Chromium, against the running pipeline', () => {
  let workDir: string;
  let pipeline: Pipeline;
  let bureau: BureauClient;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  let entA: string;
  let entB: string;
  /** An EmissionLedger deployed by an account with no role (it made itself bureau and oracle): what a compromised server would point at. */
  let forgedLedger: Ledger;
  let forgedAddress: string;

  const newPage = async (): Promise<Page> => {
    // A context per page: the token a page keeps (sessionStorage) stays with it.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const opened = await context.newPage();
    opened.on('pageerror', (error) => pageErrors.push(error.message));
    opened.on('console', (message) => {
      // A page refused on purpose logs the API's 403 as a failed resource load.
      if (message.type() === 'error' && !/status of 40[13]/.test(message.text())) pageErrors.push(`${message.text()} ${message.location().url}`);
    });
    return opened;
  };
  const enterpriseUrl = (enterprise: string, as = enterprise): string =>
    `${pipeline.status.url}/dashboard/enterprise.html?enterprise=${enterprise}&minutes=2#token=${pipeline.tokens.enterprises[as]}`;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'qingliu-dashboards-'));
    const started = startPipeline({
      workDir,
      settlementPeriodMs: 1500,
      pollIntervalMs: 200,
      allocationMilligrams: ALLOCATION,
      logger: pino({ level: 'silent' }),
    });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    pipeline = await started;
    [entA, entB] = pipeline.registry.enterprises() as [string, string];
    bureau = await createBureauClient({
      rpcUrl: pipeline.anvil.rpcUrl,
      privateKey: pipeline.anvil.accounts[1]!,
      address: pipeline.ledgerAddress,
      blacklist: pipeline.blacklistAddress,
    });
    await waitFor(() => pipeline.settler.settled().length >= 3, 20_000, 'three settled periods');
    await waitFor(async () => (await pipeline.ledger.balanceOf(entA, NH3N)) < 0n, 10_000, "ent-a's NH3-N in debt", 200);
    page = await newPage();
    await mkdir(SCREENSHOTS, { recursive: true });
    const attackerKey = pipeline.anvil.accounts[9]!;
    const attacker = new Wallet(attackerKey).address;
    ({ address: forgedAddress } = await deployEmissionLedger({ rpcUrl: pipeline.anvil.rpcUrl, deployerKey: attackerKey, bureau: attacker, oracle: attacker }));
    forgedLedger = await createEvmLedger({ rpcUrl: pipeline.anvil.rpcUrl, privateKey: attackerKey, address: forgedAddress });
  }, 40_000);

  afterAll(async () => {
    await forgedLedger?.close();
    await browser?.close();
    await bureau?.close();
    await pipeline?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  it("shows an enterprise its credits with rate and depletion, its outfalls' charts against the limits, its settlements, and verifies a genuine reading", async () => {
    await page.goto(enterpriseUrl(entA));
    await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
    expect(page.url()).not.toContain('token='); // taken out of the address bar

    const cod = shownKg(await page.locator('[data-testid="balance-w01018"] .value').textContent());
    expect(cod).toBeLessThan(1); // 1 kg allocated, and some of it charged
    const onChainKg = Number(await pipeline.ledger.balanceOf(entA, 'w01018')) / 1e6;
    expect(Math.abs(cod - onChainKg)).toBeLessThan(0.05); // a settlement may land in between
    await expect(page.locator('[data-testid="rate-w01018"]').textContent()).resolves.toMatch(/^uses [0-9.]+ (kg|g)\/h$/);
    await expect(page.locator('[data-testid="depletion-w01018"]').textContent()).resolves.toMatch(/^runs out .+ \(in .+\)$/);
    await expect(page.locator('[data-testid="depletion-w21003"]').textContent()).resolves.toBe('used up: discharging on debt');

    const outfalls = new Set(pipeline.registry.list().filter((d) => d.enterprise === entA).map((d) => d.outfall));
    await expect(page.locator('#charts canvas').count()).resolves.toBeGreaterThanOrEqual(outfalls.size);
    await expect(page.locator('#charts .u-legend').first().textContent()).resolves.toContain('COD limit 50');
    await expect(page.locator('[data-testid="settlement-row"]').count()).resolves.toBeGreaterThanOrEqual(3);

    const row = page.locator('[data-testid="reading-row"]').first();
    await row.locator('button.verify').click();
    const result = row.locator('td.result.ok');
    await result.waitFor({ timeout: 10_000 });
    const txHash = await result.getAttribute('data-tx-hash');
    expect(pipeline.settler.settled().map((b) => b.receipt.txHash)).toContain(txHash);
    await expect(result.textContent()).resolves.toContain('已上链核验 ✓ on chain');
    // What it was checked against, and on whose word: no pin in this browser, so the server's.
    await expect(result.locator('[data-testid="checked-against"]').textContent()).resolves.toBe(
      `核验依据 checked against ledger ${pipeline.ledgerAddress} (本服务器提供 from this server) on chain ${pipeline.anvil.chainId} (节点所报 as the node says) via ${pipeline.anvil.rpcUrl} (本服务器提供 from this server)`,
    );
    await expect(page.locator('[data-testid="trust-line"]').textContent()).resolves.toContain(`checked against ledger ${pipeline.ledgerAddress}`);
  });

  it('turns Verify red when the server hands over a tampered reading', async () => {
    await page.route('**/api/v1/proofs/**', async (route) => {
      const response = await route.fetch();
      const proof = (await response.json()) as { reading: { value: number } };
      proof.reading.value += 1; // what a server rewriting history would send
      await route.fulfill({ response, json: proof });
    });
    const row = page.locator('[data-testid="reading-row"]').nth(1);
    await row.locator('button.verify').click();
    const result = row.locator('td.result.bad');
    await result.waitFor({ timeout: 10_000 });
    await expect(result.textContent()).resolves.toMatch(/leaf.*failed/);
    await page.unroute('**/api/v1/proofs/**');
  });

  it("refuses a genuine proof of another reading than the row's, saying which fields differ", async () => {
    const row = page.locator('[data-testid="reading-row"]').first();
    const [rowDevice, rowSeq] = [await row.locator('td').nth(2).textContent(), Number(await row.locator('td').nth(3).textContent())];
    const now = Date.now();
    const query = new URLSearchParams({ enterprise: entA, pollutant: 'w01018', from: String(now - 120_000), to: String(now) });
    const asA = { authorization: `Bearer ${pipeline.tokens.enterprises[entA]}` };
    const { readings } = (await (await fetch(`${pipeline.status.url}/api/v1/readings?${query}`, { headers: asA })).json()) as { readings: (Reading & { batch: number })[] };
    const settled = new Set(pipeline.settler.settled().map((b) => b.batch));
    const other = readings.find((r) => settled.has(r.batch) && (r.device !== rowDevice || r.seq !== rowSeq))!;
    const otherUrl = `${pipeline.status.url}/api/v1/proofs/${other.device}/${other.seq}?ts=${other.ts}`;
    // A genuine proof: it verifies against the real ledger, for its own reading.
    const genuine = (await (await fetch(otherUrl, { headers: asA })).json()) as ReadingProof;
    expect((await verifyReadingProof(genuine, { rpcUrl: pipeline.anvil.rpcUrl, contract: pipeline.ledgerAddress })).valid).toBe(true);

    await page.route('**/api/v1/proofs/**', async (route) => route.fulfill({ response: await route.fetch({ url: otherUrl }) }));
    await row.locator('button.verify').click();
    const result = row.locator('td.result.bad');
    await result.waitFor({ timeout: 10_000 });
    const text = await result.textContent();
    expect(text).toContain('✗ 证明不是本行的读数 the proof is of another reading');
    expect(text).toContain(other.seq === rowSeq ? `device: 本行 row "${rowDevice}"` : `seq: 本行 row ${rowSeq}, 证明 proof ${other.seq}`);
    expect(text).not.toContain('✓');
    await page.unroute('**/api/v1/proofs/**');
  });

  it('with the ledger pinned in the browser, refuses a proof or a server naming another ledger, and still verifies the honest proof', async () => {
    const view = await newPage();
    await view.goto(enterpriseUrl(entA));
    await view.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
    // The user pins the address and chain id the bureau published (as typed: lower case).
    await view.locator('#trust').locator('summary').click();
    await view.fill('#trust-ledger', pipeline.ledgerAddress.toLowerCase());
    await view.fill('#trust-chain', String(pipeline.anvil.chainId));
    await Promise.all([view.waitForEvent('load'), view.click('#trust-save')]);
    await view.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
    const pinned = `checked against ledger ${pipeline.ledgerAddress} (您固定 pinned by you) on chain ${pipeline.anvil.chainId} (您固定 pinned by you)`;
    await expect(view.locator('[data-testid="trust-line"]').textContent()).resolves.toContain(pinned);

    const rows = view.locator('[data-testid="reading-row"]');
    await rows.first().locator('button.verify').click();
    const honest = rows.first().locator('td.result.ok');
    await honest.waitFor({ timeout: 10_000 });
    await expect(honest.locator('[data-testid="checked-against"]').textContent()).resolves.toContain(pinned);

    // A compromised server: the same reading under the same batch id, in a tree anchored on the attacker's ledger only.
    let forged: ReadingProof | undefined;
    await view.route('**/api/v1/proofs/**', async (route) => {
      const response = await route.fetch();
      const genuine = (await response.json()) as ReadingProof;
      const readings = [genuine.reading, { ...genuine.reading, seq: genuine.reading.seq + 1_000_000, value: 12.5 }];
      const batchId = BigInt(genuine.batchId);
      const receipt = await forgedLedger.settle({ batchId, root: buildReadingTree(readings).root, readingCount: readings.length, loads: [] });
      forged = createReadingProof({ readings, reading: genuine.reading, batchId, txHash: receipt.txHash, contract: forgedAddress });
      await route.fulfill({ response, json: forged });
    });
    await rows.nth(1).locator('button.verify').click();
    const refused = rows.nth(1).locator('td.result.bad');
    await refused.waitFor({ timeout: 10_000 });
    await expect(refused.textContent()).resolves.toContain(
      `✗ 证明指向另一账本 the proof is for another ledger: ${forgedAddress}, not ${pipeline.ledgerAddress} that this page checks against`,
    );
    // On its own ledger the forgery holds: only the pin tells it apart.
    expect((await verifyReadingProof(forged!, { rpcUrl: pipeline.anvil.rpcUrl, contract: forgedAddress })).valid).toBe(true);
    await view.unroute('**/api/v1/proofs/**');

    // The server's config now names the attacker's ledger: the page refuses to read it at all.
    await view.route('**/dashboard/config.json', async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, json: { ...((await response.json()) as object), contract: forgedAddress } });
    });
    await view.reload();
    await view.waitForSelector('body[data-ready="refused"]', { timeout: 10_000 });
    await expect(view.locator('#error').textContent()).resolves.toContain(`Refused: this server names ledger ${forgedAddress}, not ${pipeline.ledgerAddress} that you pinned`);
    await expect(view.locator('[data-testid="trust-line"]').textContent()).resolves.toContain('已拒绝');
    await expect(view.locator('[data-testid="reading-row"]').count()).resolves.toBe(0);
    await view.context().close();
  });

  it('shows a top-up warning live when a balance crosses a threshold', async () => {
    // NH3-N is in debt; the bureau tops it up to 0.5 g above zero, which the next settlements take below 20 % (or 10 %, or 0).
    const before = await pipeline.ledger.balanceOf(entA, NH3N);
    expect(before).toBeLessThan(0n);
    const base = 500n;
    await bureau.allocate(entA, NH3N, -before + base);
    const crossed = page.locator('[data-testid="warning-row"].live').filter({ hasText: 'NH3-N' }).and(
      page.locator('[data-reason="Below20Percent"], [data-reason="Below10Percent"], [data-reason="Depleted"]'),
    );
    await crossed.first().waitFor({ timeout: 15_000 });
    const balanceThen = shownKg(await crossed.first().locator('td').nth(3).textContent());
    expect(balanceThen * 1e6).toBeLessThanOrEqual(Number(base) * 0.2);
    await expect(page.locator('#alert').isVisible()).resolves.toBe(true);
    await expect(page.locator('#alert').textContent()).resolves.toMatch(/^⚠ NH3-N credits .+ Buy credits or apply to the bureau for a top-up\.$/);
    await page.screenshot({ path: join(SCREENSHOTS, 'enterprise.png'), fullPage: true });
  });

  it("keeps an enterprise out of another's data, in the page and at the API", async () => {
    const other = await newPage();
    await other.goto(enterpriseUrl(entB, entA));
    await other.waitForSelector('body[data-ready="denied"]', { timeout: 10_000 });
    await expect(other.locator('#error').textContent()).resolves.toContain(`enterprise ${entA} may not read the data of enterprise ${entB}`);
    await expect(other.locator('#charts canvas').count()).resolves.toBe(0);
    await expect(other.locator('#enterprise option').allTextContents()).resolves.toEqual([entA]);
    await other.context().close();

    const asA = { authorization: `Bearer ${pipeline.tokens.enterprises[entA]}` };
    const now = Date.now();
    const refused = await fetch(`${pipeline.status.url}/api/v1/readings?enterprise=${entB}&from=${now - 60_000}&to=${now}`, { headers: asA });
    expect(refused.status).toBe(403);
    await expect(refused.json()).resolves.toEqual({ error: `enterprise ${entA} may not read the data of enterprise ${entB}: it is not its own`, code: 'FORBIDDEN' });
    const deviceOfB = pipeline.registry.list().find((d) => d.enterprise === entB)!.device;
    expect((await fetch(`${pipeline.status.url}/api/v1/proofs/${deviceOfB}/1?ts=${now}`, { headers: asA })).status).toBe(403);
    const own = (await (await fetch(`${pipeline.status.url}/api/v1/readings?from=${now - 60_000}&to=${now}&limit=500`, { headers: asA })).json()) as {
      readings: { enterprise: string }[];
    };
    expect(own.readings.length).toBeGreaterThan(0);
    expect(new Set(own.readings.map((r) => r.enterprise))).toEqual(new Set([entA]));
    expect((await fetch(`${pipeline.status.url}/api/v1/readings?from=${now - 60_000}&to=${now}`)).status).toBe(401);
  });

  it('shows the bureau every outfall live against its limits, the credits, the warnings, the blacklist and the settlements', async () => {
    await bureau.blacklist.add(entB, 'overDischarge', keccak256(toUtf8Bytes(`inspection report ${entB} 2026-11-24`)));
    const view = await newPage();
    await view.goto(`${pipeline.status.url}/dashboard/bureau.html?minutes=2#token=${pipeline.tokens.bureau}`);
    await view.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
    const rows = view.locator('[data-testid="outfall-row"]');
    await expect(rows.count()).resolves.toBe(pipeline.registry.list().length);
    for (const state of await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-state')))) expect(['online', 'alarm']).toContain(state);
    for (const alarm of await view.locator('[data-testid="outfall-row"][data-state="alarm"] td.why').allTextContents()) {
      expect(alarm).toMatch(/above the limit|below the limit/);
    }
    await expect(view.locator('[data-testid="enterprise-row"]').count()).resolves.toBe(2);
    await expect(view.locator('[data-testid="enterprise-row"]').filter({ hasText: entB }).textContent()).resolves.toContain('listed: over-discharge');
    // Three charts an outfall (flow and COD, NH3-N and pH, TP and TN), or a note where it has no such analyzer.
    const outfallCount = pipeline.registry.list().length;
    await expect(view.locator('#charts .u-wrap').count()).resolves.toBeGreaterThanOrEqual(2 * outfallCount);
    await expect(view.locator('#charts .chart > .uplot, #charts .no-chart').count()).resolves.toBe(3 * outfallCount);
    await expect(view.locator('#charts .u-legend').first().textContent()).resolves.toContain('COD limit 50');
    await expect(view.locator('[data-testid="warning-row"]').count()).resolves.toBeGreaterThan(0);
    await expect(view.locator('[data-testid="blacklist-row"]').first().textContent()).resolves.toContain('over-discharge');
    await expect(view.locator('[data-testid="settlement-row"]').count()).resolves.toBeGreaterThanOrEqual(3);
    // bureau.png is taken by alerts-dashboard.test.ts, where the anomaly timeline has an alert to show.
    await view.context().close();
  });

  it('shows the public what is on chain, read from the chain, without a token', async () => {
    const view = await newPage();
    const apiCalls: string[] = [];
    view.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith('/api/') || url.pathname === '/status') apiCalls.push(url.pathname);
    });
    await view.goto(`${pipeline.status.url}/dashboard/public.html`);
    await view.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
    const enterprises = view.locator('[data-testid="enterprise-row"]');
    await expect(enterprises.count()).resolves.toBe(2);
    await expect(enterprises.filter({ hasText: entB }).textContent()).resolves.toContain('listed: over-discharge');
    await expect(enterprises.first().textContent()).resolves.toMatch(/-?[0-9.]+ (kg|g|mg) \/ [0-9.]+ (kg|g|mg)/);
    await expect(view.locator('[data-testid="allocation-row"]').count()).resolves.toBeGreaterThanOrEqual(5); // 2 x 2 grants + the top-up
    await expect(view.locator('[data-testid="settlement-row"]').count()).resolves.toBeGreaterThanOrEqual(3);
    await expect(view.locator('[data-testid="blacklist-row"]').count()).resolves.toBe(1);
    expect(new Set(apiCalls)).toEqual(new Set(['/api/v1/enterprises', '/api/v1/events']));
    await view.screenshot({ path: join(SCREENSHOTS, 'public.png'), fullPage: true });
    await view.context().close();
    expect(pageErrors).toEqual([]);
  });
});
