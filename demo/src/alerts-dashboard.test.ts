/**
 * The anomaly timeline, the evidence, the bureau's verdict and the enterprises' records in a real
 * browser (Debian's chromium through playwright-core), against the whole running pipeline with a
 * pH excursion scripted at the plant early on: detection finds it, the oracle records its evidence
 * hash on AlertRegistry once it is over, the page checks that hash itself, and the bureau confirms it.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Contract, JsonRpcProvider } from 'ethers';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { pino } from 'pino';
import { ALERT_REGISTRY_ABI } from '@qingliu/contracts';
import { waitFor } from '@qingliu/testkit';
import { startPipeline } from './pipeline.js';
import type { Pipeline } from './pipeline.js';

const SCREENSHOTS = fileURLToPath(new URL('../../dashboards/docs/', import.meta.url));
const OUTFALL = 'ent-b-dw001';

describe('alerts in the dashboards, in Chromium, against the running pipeline', () => {
  let workDir: string;
  let pipeline: Pipeline;
  let browser: Browser;
  let bureauPage: Page;
  const pageErrors: string[] = [];
  let victim: string;
  let other: string;
  let alertId: string;

  const newPage = async (): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const opened = await context.newPage();
    opened.on('pageerror', (error) => pageErrors.push(error.message));
    opened.on('console', (message) => {
      if (message.type() === 'error' && !/status of 40[13]/.test(message.text())) pageErrors.push(`${message.text()} ${message.location().url}`);
    });
    return opened;
  };
  const api = async (path: string, token?: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> => {
    const response = await fetch(`${pipeline.status.url}${path}`, {
      ...init,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}) },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'qingliu-alerts-dashboard-'));
    const now = Date.now();
    const started = startPipeline({
      workDir,
      settlementPeriodMs: 1500,
      pollIntervalMs: 200,
      allocationMilligrams: { w01018: 1_000_000n, w21003: 100_000n },
      logger: pino({ level: 'silent' }),
      // Early and short, so detection sees it, it closes (20 s without a flag) and is recorded within the test.
      events: [{ outfall: OUTFALL, kind: 'ph-excursion', start: now + 8_000, end: now + 18_000, value: 3.2 }],
    });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    pipeline = await started;
    victim = pipeline.registry.list().find((d) => d.outfall === OUTFALL)!.enterprise;
    other = pipeline.registry.enterprises().find((e) => e !== victim)!;
    await mkdir(SCREENSHOTS, { recursive: true });
  }, 40_000);

  afterAll(async () => {
    await browser?.close();
    await pipeline?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  it('shows the bureau the pH alert on the timeline, with its evidence against the expected values', async () => {
    bureauPage = await newPage();
    await bureauPage.goto(`${pipeline.status.url}/dashboard/bureau.html?minutes=2#token=${pipeline.tokens.bureau}`);
    await bureauPage.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
    const mark = bureauPage.locator(`[data-testid="alert-mark"][data-kind="ph-out-of-range"][data-outfall="${OUTFALL}"]`).first();
    await mark.waitFor({ timeout: 30_000 });
    alertId = (await mark.getAttribute('data-alert-id'))!;
    expect(alertId).toMatch(/^0x[0-9a-f]{64}$/);
    await mark.click();
    const evidence = bureauPage.locator(`[data-testid="evidence"][data-alert-id="${alertId}"]`);
    await evidence.waitFor();
    await expect(evidence.locator('[data-testid="evidence-note"]').textContent()).resolves.toMatch(/^pH outside 6-9 \(peak [0-9.]+\)$/);
    const rows = await evidence.locator('[data-testid="evidence-reading"]').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(rows.length).toBeGreaterThan(0);
    for (const [, channel, value, expected] of rows) {
      expect(channel).toBe('ph');
      expect(Number(value)).toBeLessThan(6);
      expect(expected).toBe('6');
    }
    await expect(evidence.locator('[data-testid="evidence-hash"]').textContent()).resolves.toMatch(/^0x[0-9a-f]{64}$/);
  });

  it('says "evidence hash matches the chain" once the alert is over and recorded, with the transaction', async () => {
    const evidence = bureauPage.locator(`[data-testid="evidence"][data-alert-id="${alertId}"]`);
    await evidence.locator('[data-testid="chain-check"].ok').waitFor({ timeout: 45_000 });
    await expect(evidence.locator('[data-testid="chain-check"]').textContent()).resolves.toMatch(/^✓ evidence hash matches the chain/);
    await expect(evidence.locator('[data-testid="evidence-tx"]').textContent()).resolves.toMatch(/^0x[0-9a-f]{64}$/);
    await expect(evidence.locator('[data-testid="verdict"]').getAttribute('data-verdict')).resolves.toBe('pending');
  }, 50_000);

  it("lets the bureau confirm it: the chain holds the verdict and the enterprise's score drops", async () => {
    const scoreCell = bureauPage.locator(`[data-testid="score-${victim}"]`);
    await scoreCell.waitFor();
    const before = Number(await scoreCell.textContent());
    const evidence = bureauPage.locator(`[data-testid="evidence"][data-alert-id="${alertId}"]`);
    await evidence.locator('[data-testid="verdict-reason"]').fill('inspection 2026-117: acid tank drained into the outfall');
    await evidence.locator('[data-testid="verdict-confirmed"]').click();
    await bureauPage.locator(`[data-testid="evidence"][data-alert-id="${alertId}"] [data-testid="verdict"][data-verdict="confirmed"]`).waitFor({ timeout: 15_000 });

    const provider = new JsonRpcProvider(pipeline.anvil.rpcUrl);
    const registry = new Contract(pipeline.alertRegistryAddress, ALERT_REGISTRY_ABI, provider);
    expect(await registry.getFunction('verdictOf')(alertId)).toBe(2n); // Confirmed
    provider.destroy();

    await waitFor(async () => Number(await scoreCell.textContent()) < before, 10_000, `${victim}'s score to drop below ${before}`, 200);
    await expect(bureauPage.locator(`[data-testid="confirmed-${victim}"]`).textContent()).resolves.toBe('1');
    await expect(bureauPage.locator(`[data-testid="alert-row"][data-alert-id="${alertId}"] [data-testid="alert-verdict"]`).textContent()).resolves.toBe('confirmed');
    const own = await api(`/api/v1/records`, pipeline.tokens.enterprises[victim]);
    expect(own.body['records']).toMatchObject([{ enterprise: victim, facts: { confirmedAlerts: 1, confirmedTotal: 1 } }]);
    expect((own.body['records'] as { score: number }[])[0]!.score).toBeLessThanOrEqual(before - 15);

    // A second verdict is refused, and neither an enterprise nor the public may give one.
    const body = JSON.stringify({ verdict: 'dismissed', reason: 'x' });
    expect(await api(`/api/v1/alerts/${alertId}/verdict`, pipeline.tokens.bureau, { method: 'POST', body })).toMatchObject({ status: 409, body: { code: 'ALERT_DECIDED', verdict: 'confirmed' } });
    expect((await api(`/api/v1/alerts/${alertId}/verdict`, pipeline.tokens.enterprises[victim], { method: 'POST', body })).status).toBe(403);
    expect((await api(`/api/v1/alerts/${alertId}/verdict`, undefined, { method: 'POST', body })).status).toBe(401);

    await bureauPage.locator('#anomalies').screenshot({ path: join(SCREENSHOTS, 'bureau-alerts.png') });
    await bureauPage.screenshot({ path: join(SCREENSHOTS, 'bureau.png'), fullPage: true });
  });

  it("shows the enterprise its own alert read-only with its score, and keeps another enterprise out of it, in the page and at the API", async () => {
    const own = await newPage();
    await own.goto(`${pipeline.status.url}/dashboard/enterprise.html?enterprise=${victim}&minutes=2#token=${pipeline.tokens.enterprises[victim]}`);
    await own.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
    const row = own.locator(`[data-testid="alert-row"][data-alert-id="${alertId}"]`);
    await row.waitFor({ timeout: 10_000 });
    await row.click();
    const evidence = own.locator(`[data-testid="evidence"][data-alert-id="${alertId}"]`);
    await evidence.locator('[data-testid="chain-check"].ok').waitFor({ timeout: 10_000 });
    await expect(evidence.locator('[data-testid="verdict"]').getAttribute('data-verdict')).resolves.toBe('confirmed');
    await expect(evidence.locator('button').count()).resolves.toBe(0); // read-only
    await expect(own.locator('[data-testid="record-confirmed"]').textContent()).resolves.toBe('1 confirmed alert in the last year');
    await expect(own.locator('[data-testid="score"]').textContent()).resolves.toMatch(/^[0-9]+ \/ 100$/);
    await own.screenshot({ path: join(SCREENSHOTS, 'enterprise-alerts.png'), fullPage: true });
    await own.context().close();

    const stranger = await newPage();
    await stranger.goto(`${pipeline.status.url}/dashboard/enterprise.html?minutes=2#token=${pipeline.tokens.enterprises[other]}`);
    await stranger.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
    await stranger.locator('#alert-state').filter({ hasText: 'live' }).waitFor({ timeout: 10_000 });
    await expect(stranger.locator(`[data-testid="alert-row"][data-alert-id="${alertId}"]`).count()).resolves.toBe(0);
    await expect(stranger.locator(`[data-testid="alert-mark"][data-outfall="${OUTFALL}"]`).count()).resolves.toBe(0);
    await stranger.context().close();

    const asOther = pipeline.tokens.enterprises[other];
    expect(await api(`/api/v1/alerts?enterprise=${victim}`, asOther)).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    expect((await api(`/api/v1/alerts?outfall=${OUTFALL}`, asOther)).status).toBe(403);
    expect((await api(`/api/v1/records?enterprise=${victim}`, asOther)).status).toBe(403);
    const mine = (await api('/api/v1/alerts', asOther)).body['alerts'] as { enterprise: string }[];
    expect(mine.filter((a) => a.enterprise !== other)).toEqual([]);
    const all = (await api('/api/v1/alerts', pipeline.tokens.bureau)).body['alerts'] as { id: string }[];
    expect(all.map((a) => a.id)).toContain(alertId);
    expect(pageErrors).toEqual([]);
  });
});
