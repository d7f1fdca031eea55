/**
 * The bureau's traceability panel (污水溯源) in a real browser (Debian's chromium through
 * playwright-core) against the running pipeline: the bureau uploads a river station's readings
 * and the upstream outfalls' readings, both sampled from a firmware-sim river whose culprit is
 * known, sets the event window, and sees the culprit ranked first as the likely source.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { pino } from 'pino';
import { exampleRiverEvent } from '@qingliu/firmware-sim';
import type { RiverSamples } from '@qingliu/firmware-sim';
import { startPipeline } from './pipeline.js';
import type { Pipeline } from './pipeline.js';

const SCREENSHOTS = fileURLToPath(new URL('../../dashboards/docs/', import.meta.url));
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
// ent-c-dw001 dumps untreated water on 3 June (China Standard Time; the page runs in Asia/Shanghai too) at 10:20 for 50 minutes.
const CASE = exampleRiverEvent();
const { outfalls: OUTFALLS, culprit: CULPRIT, travelMinutes: TRAVEL_MINUTES } = CASE;
const DUMP = { start: CASE.dump.start, minutes: (CASE.dump.end - CASE.dump.start) / MINUTE };

const iso = (t: number): string => new Date(t).toISOString();
/** `YYYY-MM-DD HH:MM` in China Standard Time, as the panel's event window inputs take it. */
const cst = (t: number): string => new Date(t + 8 * HOUR).toISOString().slice(0, 16).replace('T', ' ');

/** The trace CLI's CSVs (analytics/src/cli/trace.ts) of a sampled river. */
function riverCsv(samples: RiverSamples): { station: string; outfalls: string } {
  const s = samples.station;
  const station = `ts,cod,nh3n,flow\n${s.ts.map((t, i) => `${iso(t)},${s.cod[i]!.toFixed(3)},${s.nh3n[i]!.toFixed(4)},${s.flow[i]!.toFixed(3)}`).join('\n')}\n`;
  const rows = samples.outfalls.flatMap((o) => o.ts.map((t, i) => `${iso(t)},${o.id},${o.flow[i]!.toFixed(2)},${o.cod[i]!.toFixed(3)},${o.nh3n[i]!.toFixed(4)},${i === 0 ? o.distanceKm : ''}`));
  return { station, outfalls: `ts,outfall,flow,cod,nh3n,distance_km\n${rows.join('\n')}\n` };
}

describe('traceability in the bureau view, in Chromium, against the running pipeline', () => {
  let workDir: string;
  let pipeline: Pipeline;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  let csv: { station: string; outfalls: string };

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'qingliu-trace-dashboard-'));
    const started = startPipeline({
      workDir,
      settlementPeriodMs: 2000,
      pollIntervalMs: 500,
      allocationMilligrams: { w01018: 1_000_000n, w21003: 100_000n },
      logger: pino({ level: 'silent' }),
    });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    csv = riverCsv(CASE.samples);
    pipeline = await started;
    await mkdir(SCREENSHOTS, { recursive: true });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'Asia/Shanghai', locale: 'en-GB' });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      // The 400 the panel shows on purpose is logged as a failed resource load.
      if (message.type() === 'error' && !/status of 400/.test(message.text())) pageErrors.push(`${message.text()} ${message.location().url}`);
    });
  }, 40_000);

  afterAll(async () => {
    await browser?.close();
    await pipeline?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  const event = { start: DUMP.start + (TRAVEL_MINUTES - 15) * MINUTE, end: DUMP.start + (DUMP.minutes + TRAVEL_MINUTES + 20) * MINUTE };

  it('loads the station CSV, picks the event window by a drag on its chart, and says why the enrolled outfalls cannot explain a 2024 event', async () => {
    await page.goto(`${pipeline.status.url}/dashboard/bureau.html?minutes=2#token=${pipeline.tokens.bureau}`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    // By default the candidates are the enrolled outfalls, to be read from the store.
    const enrolled = [...new Set(pipeline.registry.list().map((d) => d.outfall))].sort();
    await page.locator('[data-testid="trace-candidate"]').first().waitFor();
    await expect(page.locator('[data-testid="trace-candidate"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-outfall')).sort())).resolves.toEqual(enrolled);

    await page.locator('[data-testid="trace-station-file"]').setInputFiles({ name: 'station.csv', mimeType: 'text/csv', buffer: Buffer.from(csv.station) });
    await page.locator('#trace-station-info').filter({ hasText: 'samples' }).waitFor();
    await expect(page.locator('#trace-station-info').textContent()).resolves.toBe('864 samples, 1 Jun 2024 00:00 to 3 Jun 2024 23:55, every 5 min, with the river flow');

    const over = page.locator('#trace-station-chart .u-over');
    await over.scrollIntoViewIfNeeded();
    const chart = (await over.boundingBox())!;
    await page.mouse.move(chart.x + chart.width * 0.55, chart.y + chart.height / 2);
    await page.mouse.down();
    await page.mouse.move(chart.x + chart.width * 0.6, chart.y + chart.height / 2, { steps: 5 });
    await page.mouse.up();
    const [from, to] = await Promise.all([page.locator('[data-testid="trace-start"]').inputValue(), page.locator('[data-testid="trace-end"]').inputValue()]);
    expect(from).toMatch(/^2024-06-02 \d\d:\d\d$/); // 55 % of 3 days from 1 June 00:00: 2 June, about 15:36
    expect(Date.parse(`${to.replace(' ', 'T')}:00+08:00`) - Date.parse(`${from.replace(' ', 'T')}:00+08:00`)).toBeGreaterThan(2 * HOUR);

    await page.locator('[data-testid="trace-start"]').fill(cst(event.start));
    await page.locator('[data-testid="trace-end"]').fill(cst(event.end));
    await page.locator('[data-testid="trace-run"]').click();
    await page.locator('[data-testid="trace-error"]').filter({ hasText: 'could not be ranked' }).waitFor({ timeout: 10_000 });
    await expect(page.locator('[data-testid="trace-error"]').textContent()).resolves.toMatch(
      new RegExp(`^⚠ The outfalls could not be ranked: outfall (${enrolled.join('|')}): the store has no flow \\(w00000\\) or COD \\(w01018\\) readings from 2024-`),
    );
  });

  it('ranks the culprit of the uploaded outfalls first as the likely source, with its explanation, and draws its load over the station', async () => {
    await page.locator('[data-testid="trace-outfall-file"]').setInputFiles({ name: 'outfalls.csv', mimeType: 'text/csv', buffer: Buffer.from(csv.outfalls) });
    await page.locator('#trace-outfall-source').filter({ hasText: '4 outfalls from outfalls.csv' }).waitFor();
    const candidates = page.locator('[data-testid="trace-candidate"]');
    await expect(candidates.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-outfall')))).resolves.toEqual(OUTFALLS.map((o) => o.id));
    await expect(candidates.locator('input.distance').evaluateAll((inputs) => inputs.map((i) => (i as unknown as { value: string }).value))).resolves.toEqual(
      OUTFALLS.map((o) => String(o.distanceKm)),
    );
    await page.locator('[data-testid="trace-run"]').click();
    await page.locator('#traceability[data-ranked="true"]').waitFor({ timeout: 15_000 });
    await expect(page.locator('[data-testid="trace-error"]').textContent()).resolves.toBe('');

    const rows = page.locator('[data-testid="trace-row"]');
    await expect(rows.evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-outfall'), tr.getAttribute('data-verdict')]))).resolves.toEqual([
      [CULPRIT, 'likely source'],
      ...OUTFALLS.filter((o) => o.id !== CULPRIT).map(() => [expect.any(String), 'not explained']),
    ]);
    const top = rows.first();
    await expect(top.getAttribute('class')).resolves.toBe('likely');
    await expect(top.locator('[data-testid="trace-verdict"]').textContent()).resolves.toBe('likely source');
    expect(Number(await top.locator('[data-testid="trace-score"]').textContent())).toBeGreaterThan(0.5);
    // The explanation's clock times are the page's (China Standard Time): the dump left at 10:20.
    const explanation = (await top.locator('[data-testid="trace-explanation"]').textContent())!;
    expect(explanation).toMatch(new RegExp(`^${CULPRIT}'s load rose to [\\d.]+x its usual for 1[01]:\\d\\d at 10:[12]\\d-1[01]:\\d\\d; \\d+ min later the station's COD rose [\\d.]+ mg/L; lag matches 7\\.5 km at 0\\.[56]\\d* m/s; explains \\d+% of the excess \\(correlation [\\d.]+\\): likely source\\.$`));
    await expect(page.locator('[data-testid="trace-summary"]').textContent()).resolves.toBe(`COD event at the station, 3 Jun 2024 ${cst(event.start).slice(11)}–${cst(event.end).slice(11)}: ${CULPRIT} is the likely source.`);
    await page.locator('#trace-chart .u-over').waitFor();
    await expect(page.locator('#trace-chart .u-legend').textContent()).resolves.toContain(`${CULPRIT} COD load above usual`);

    await page.locator('#traceability').screenshot({ path: join(SCREENSHOTS, 'bureau-traceability.png') });
    expect(pageErrors).toEqual([]);
  });
});
