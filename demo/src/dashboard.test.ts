/**
 * The dashboards in a real browser (Debian's chromium through playwright-core) against the
 * whole running pipeline: real readings in InfluxDB, real settlements on anvil.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { pino } from 'pino';
import { waitFor } from '@qingliu/testkit';
import type { PollutantCode } from '@qingliu/protocol';
import { startPipeline } from './pipeline.js';
import type { Pipeline } from './pipeline.js';

const ALLOCATION: Partial<Record<PollutantCode, bigint>> = { w01018: 1_000_000n, w21003: 100_000n };
const SCREENSHOTS = fileURLToPath(new URL('../../dashboards/docs/', import.meta.url));

describe('dashboards in Chromium, against the running pipeline', () => {
  let workDir: string;
  let pipeline: Pipeline;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

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
    await waitFor(() => pipeline.settler.settled().length >= 3, 20_000, 'three settled periods');
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(`${message.text()} ${message.location().url}`);
    });
    await mkdir(SCREENSHOTS, { recursive: true });
  }, 40_000);

  afterAll(async () => {
    await browser?.close();
    await pipeline?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  it("shows an enterprise its credits, its outfalls' charts, its settlements, and verifies a genuine reading on chain", async () => {
    const enterprise = pipeline.registry.enterprises()[0]!;
    await page.goto(`${pipeline.status.url}/dashboard/enterprise.html?enterprise=${enterprise}&minutes=2&every=1s`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });

    const cod = await page.locator('[data-testid="balance-w01018"] .value').textContent();
    const shownKg = Number(/(-?[0-9.]+) kg/.exec(cod ?? '')?.[1]);
    expect(shownKg).toBeLessThan(1); // 1 kg allocated, and some of it charged
    const onChainKg = Number(await pipeline.ledger.balanceOf(enterprise, 'w01018')) / 1e6;
    expect(Math.abs(shownKg - onChainKg)).toBeLessThan(0.05); // a settlement may land in between
    await expect(page.locator('[data-testid="balance-w21003"]').count()).resolves.toBe(1);

    const outfalls = new Set(pipeline.registry.list().filter((d) => d.enterprise === enterprise).map((d) => d.outfall));
    await expect(page.locator('#charts canvas').count()).resolves.toBeGreaterThanOrEqual(outfalls.size);
    await expect(page.locator('[data-testid="settlement-row"]').count()).resolves.toBeGreaterThanOrEqual(3);

    const row = page.locator('[data-testid="reading-row"]').first();
    await row.locator('button.verify').click();
    const result = row.locator('td.result.ok');
    await result.waitFor({ timeout: 10_000 });
    const txHash = await result.getAttribute('data-tx-hash');
    expect(pipeline.settler.settled().map((b) => b.receipt.txHash)).toContain(txHash);
    await expect(result.textContent()).resolves.toContain('✓ on chain');
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
    await page.screenshot({ path: join(SCREENSHOTS, 'enterprise.png'), fullPage: true });
  });

  it('shows the bureau every enterprise, every device online, and the settlement history', async () => {
    await page.goto(`${pipeline.status.url}/dashboard/bureau.html`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
    await expect(page.locator('[data-testid="enterprise-row"]').count()).resolves.toBe(pipeline.registry.enterprises().length);
    const devices = page.locator('[data-testid="device-row"]');
    await expect(devices.count()).resolves.toBe(pipeline.registry.list().length);
    await expect(devices.filter({ hasText: 'online' }).count()).resolves.toBe(pipeline.registry.list().length);
    await expect(page.locator('[data-testid="settlement-row"]').count()).resolves.toBeGreaterThanOrEqual(3);
    await page.screenshot({ path: join(SCREENSHOTS, 'bureau.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
