/* global document, window */
// The enterprise view: credits left per pollutant with the consumption rate and projected depletion (on chain),
// top-up warnings as they arrive (server-sent events), its outfalls' flow and COD against the limits,
// its settlements, and readings to verify on chain. What it reads is scoped by the tab's token.
import {
  COD,
  FLOW,
  TOP_UP_WORDS,
  dateTime,
  duration,
  el,
  enterpriseKey,
  followEvents,
  getJson,
  halt,
  kg,
  mass,
  pollutantName,
  setRows,
  shortHash,
  showError,
  showWho,
  time,
  whoAmI,
} from './common.js';
import { alignWindows, limitMap, renderChart } from './charts.js';
import { refusalReason, verifyProof } from './verify.js';
import { describeTrust } from './trust.js';
import { connectTrustedChain } from './trust-panel.js';
import { startAlertPanel } from './alerts.js';

const params = new URLSearchParams(window.location.search);
/** Chart range: ?minutes=10 (the window is chosen by the server: at most ~1,000 points per series). */
const minutes = Number(params.get('minutes') ?? 10);

const config = await getJson('config.json');
const me = await whoAmI();
showWho(me);
if (me.role === 'public') {
  showError('This view needs a token: open the enterprise URL the operator gave you (it ends in #token=...). The public view shows what is on chain.');
  document.body.dataset.ready = 'denied';
  await halt();
}
const chain = await connectTrustedChain(config);
const { enterprises: mine } = await getJson('/api/v1/enterprises');
const enterprise = params.get('enterprise') ?? mine[0]?.enterprise;
const select = document.getElementById('enterprise');
select.replaceChildren(...mine.map((e) => el('option', e.enterprise === enterprise ? { value: e.enterprise, selected: '' } : { value: e.enterprise }, e.enterprise)));
select.addEventListener('change', () => {
  params.set('enterprise', select.value);
  window.location.search = params.toString();
});

// The API decides what this token may read: another enterprise's outfalls answer 403, and the page stops there.
let outfalls;
try {
  outfalls = (await getJson(`/api/v1/outfalls?enterprise=${encodeURIComponent(enterprise)}`)).outfalls;
} catch (error) {
  showError(error);
  document.body.dataset.ready = 'denied';
  await halt();
}
const limits = new Map(await Promise.all(outfalls.map(async (o) => [o.outfall, limitMap((await getJson(`/api/v1/limits?outfall=${o.outfall}`)).limits)])));

/** The pollutants credited to this enterprise on chain (its CreditsAllocated events). */
async function creditedPollutants() {
  const key = enterpriseKey(enterprise);
  return [...new Set((await chain.allocations()).filter((a) => a.enterpriseKey === key).map((a) => a.pollutant))].sort();
}

function depletionText(consumption, left) {
  if (left <= 0n) return 'used up: discharging on debt';
  if (consumption.depletesAt === null) return 'no consumption rate yet';
  const seconds = (consumption.depletesAt - Date.now()) / 1000;
  if (seconds < 1) return 'runs out within a second at this rate';
  return `runs out ${dateTime(consumption.depletesAt)} (in ${duration(seconds)})`;
}

async function renderBalances() {
  const cards = [];
  for (const pollutant of await creditedPollutants()) {
    const [left, allocated, consumption] = await Promise.all([
      chain.balanceOf(enterprise, pollutant),
      chain.allocationOf(enterprise, pollutant),
      chain.consumptionOf(enterprise, pollutant),
    ]);
    const share = allocated > 0n ? Math.max(0, Math.min(1, Number(left) / Number(allocated))) : 0;
    const rate = consumption.milligramsPerHour === null ? 'rate: not known yet' : `uses ${mass(BigInt(Math.round(consumption.milligramsPerHour)))}/h`;
    // In kg where the allocation is a kilogram or more (a permit's unit), else in g or mg, never rounded to zero.
    const amount = (mg) => (allocated >= 1_000_000n ? `${kg(mg)} kg` : mass(mg));
    cards.push(
      el(
        'div',
        { class: `card${left < 0n ? ' debt' : share < 0.2 ? ' low' : ''}`, 'data-testid': `balance-${pollutant}` },
        el('div', { class: 'label' }, pollutantName(pollutant)),
        el('div', { class: 'value' }, amount(left)),
        el('div', { class: 'bar' }, el('span', { style: `width:${(share * 100).toFixed(1)}%` })),
        el('div', { class: 'sub' }, `of ${amount(allocated)} allocated`),
        el('div', { class: 'sub rate', 'data-testid': `rate-${pollutant}` }, rate),
        el('div', { class: 'sub depletion', 'data-testid': `depletion-${pollutant}` }, depletionText(consumption, left)),
      ),
    );
  }
  document.getElementById('balances').replaceChildren(...(cards.length > 0 ? cards : [el('p', { class: 'hint' }, 'no credits allocated on chain yet')]));
}

const charts = new Map();
async function renderCharts() {
  const now = Date.now();
  const query = new URLSearchParams({ enterprise, from: String(now - minutes * 60_000), to: String(now + 1000), every: 'auto', fields: 'mean' });
  const { windows, everyMs } = await getJson(`/api/v1/readings?${query}`);
  document.getElementById('range').textContent = `last ${minutes} min, mean per ${duration(everyMs / 1000)}; dashed red: permitted limit`;
  const container = document.getElementById('charts');
  for (const { outfall, state, reasons } of outfalls) {
    let box = container.querySelector(`[data-outfall="${outfall}"]`);
    if (!box) {
      box = el('div', { class: 'chart', 'data-outfall': outfall }, el('div', { class: 'chart-state' }), el('div', { class: 'plot' }));
      container.append(box);
    }
    const badge = box.querySelector('.chart-state');
    badge.className = `chart-state state ${state}`;
    badge.textContent = `${outfall}: ${state}${reasons.length > 0 ? ` — ${reasons.join('; ')}` : ''}`;
    const own = windows.filter((w) => w.outfall === outfall);
    if (own.length === 0) continue;
    const data = alignWindows(own, [FLOW, COD]);
    charts.set(outfall, renderChart(charts.get(outfall), box.querySelector('.plot'), `${outfall} — flow and COD`, [FLOW, COD], data, limits.get(outfall), () => alertPanel.bandsOf(outfall)));
  }
}

/** The enterprise's credit score and what it rests on (GET /api/v1/records: computed from on-chain facts). */
async function renderRecord() {
  const box = document.getElementById('record');
  let record;
  try {
    [record] = (await getJson(`/api/v1/records?enterprise=${encodeURIComponent(enterprise)}`)).records;
  } catch (error) {
    box.replaceChildren(el('p', { class: 'hint' }, `no record: ${error.message}`));
    return;
  }
  const { facts } = record;
  box.replaceChildren(
    el(
      'div',
      { class: `card${record.score < 60 ? ' debt' : ''}`, 'data-testid': 'record' },
      el('div', { class: 'label' }, 'credit score'),
      el('div', { class: 'value', 'data-testid': 'score' }, `${record.score} / 100`),
      el('div', { class: 'sub', 'data-testid': 'record-confirmed' }, `${facts.confirmedAlerts} confirmed alert${facts.confirmedAlerts === 1 ? '' : 's'} in the last year`),
      el('div', { class: `sub${facts.blacklisted ? ' bad' : ''}` }, facts.blacklisted ? 'blacklisted' : 'not blacklisted'),
    ),
    el(
      'div',
      { class: 'card' },
      el('div', { class: 'label' }, 'why'),
      ...(record.deductions.length === 0 ? [el('div', { class: 'sub' }, 'a clean record: nothing deducted')] : record.deductions.map((d) => el('div', { class: 'sub' }, `−${d.points}: ${d.note}`))),
    ),
  );
}

async function renderSettlements() {
  const [batches, deductions] = await Promise.all([chain.settlements(12), chain.deductions(enterprise)]);
  const byBatch = Map.groupBy(deductions, (d) => d.batchId);
  setRows(
    document.getElementById('settlements'),
    batches.map((b) => {
      const lines = byBatch.get(b.batchId) ?? [];
      return el(
        'tr',
        { 'data-testid': 'settlement-row' },
        el('td', {}, String(b.batchId)),
        el('td', {}, time(b.time)),
        el('td', {}, lines.map((d) => `${pollutantName(d.pollutant)} ${mass(d.milligrams)}`).join(', ') || '–'),
        el('td', {}, lines.map((d) => `${pollutantName(d.pollutant)} ${mass(d.balanceAfter)}`).join(', ') || '–'),
        el('td', { class: 'mono', title: b.txHash }, shortHash(b.txHash)),
      );
    }),
  );
}

/** The latest COD readings of the enterprise, each with a Verify button when its batch is anchored. */
async function renderReadings() {
  const anchored = new Set((await chain.settlements(1000)).map((b) => Number(b.batchId)));
  const now = Date.now();
  const query = new URLSearchParams({ enterprise, pollutant: COD, from: String(now - 120_000), to: String(now + 1000) });
  const { readings } = await getJson(`/api/v1/readings?${query}`);
  const shown = readings.filter((r) => anchored.has(r.batch)).slice(-8).reverse();
  setRows(
    document.getElementById('readings'),
    shown.map((r) => {
      const result = el('td', { class: 'result' });
      const button = el('button', { type: 'button', class: 'verify' }, 'Verify');
      button.addEventListener('click', () => void verify(r, button, result));
      return el(
        'tr',
        { 'data-testid': 'reading-row' },
        el('td', {}, time(r.ts)),
        el('td', {}, r.outfall),
        el('td', {}, r.device),
        el('td', {}, String(r.seq)),
        el('td', {}, r.value.toFixed(2)),
        el('td', {}, String(r.batch)),
        el('td', {}, button),
        result,
      );
    }),
  );
}

async function verify(reading, button, result) {
  button.disabled = true;
  result.className = 'result pending';
  result.textContent = 'checking…';
  try {
    const proof = await getJson(`/api/v1/proofs/${encodeURIComponent(reading.device)}/${reading.seq}?ts=${reading.ts}`);
    const { valid, checks } = await verifyProof(proof, chain, reading);
    result.className = `result ${valid ? 'ok' : 'bad'}`;
    const failed = checks.filter((c) => !c.ok).map((c) => c.name);
    result.replaceChildren(
      el('span', {}, valid ? '已上链核验 ✓ on chain ' : `✗ ${refusalReason(checks)} (${failed.join(', ')} failed) `),
      el('span', { class: 'mono', title: proof.txHash ?? '' }, proof.txHash ? `tx ${shortHash(proof.txHash)}` : 'no transaction'),
      el('div', { class: 'checked-against', 'data-testid': 'checked-against' }, describeTrust(chain.trust)),
    );
    result.title = checks.map((c) => `${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`).join('\n');
    result.dataset.txHash = proof.txHash ?? '';
  } catch (error) {
    result.className = 'result bad';
    result.textContent = `✗ ${error.message}`;
  } finally {
    button.disabled = false;
  }
}

/** A TopUpWarning from the event stream: a row on top of the table; a live one also fills the banner. */
const loadedAt = Date.now();
function showWarning(w) {
  const live = w.time >= loadedAt - 2000;
  const seconds = w.secondsToDepletion === null ? null : Number(w.secondsToDepletion);
  const words = TOP_UP_WORDS[w.reason] ?? w.reason;
  const tbody = document.getElementById('warnings');
  tbody.querySelector('.empty')?.remove();
  tbody.prepend(
    el(
      'tr',
      { 'data-testid': 'warning-row', class: `warning ${w.reason}${live ? ' live' : ''}`, 'data-reason': w.reason },
      el('td', {}, time(w.time)),
      el('td', {}, pollutantName(w.pollutant)),
      el('td', {}, words),
      el('td', {}, mass(w.balance)),
      el('td', {}, seconds === null ? 'unknown' : BigInt(w.balance) <= 0n ? 'run out' : seconds < 1 ? 'under a second' : duration(seconds)),
      el('td', {}, w.batchId),
      el('td', { class: 'mono', title: w.txHash }, shortHash(w.txHash)),
    ),
  );
  if (live) {
    const alert = document.getElementById('alert');
    alert.hidden = false;
    alert.dataset.reason = w.reason;
    alert.textContent = `⚠ ${pollutantName(w.pollutant)} credits ${words} (${mass(w.balance)} left at batch ${w.batchId}). Buy credits or apply to the bureau for a top-up.`;
  }
}

async function refresh() {
  try {
    outfalls = (await getJson(`/api/v1/outfalls?enterprise=${encodeURIComponent(enterprise)}`)).outfalls;
    await Promise.all([renderBalances(), renderRecord(), renderCharts(), renderSettlements()]);
    showError();
  } catch (error) {
    showError(error);
  }
}

// Its own alerts, read-only: the API answers this token with its enterprise's alerts only.
const alertPanel = startAlertPanel({
  chain,
  minutes,
  enterprise,
  showEnterprise: false,
  outfalls: () => outfalls.map((o) => ({ enterprise: o.enterprise, outfall: o.outfall })),
  onChange: () => {
    for (const chart of charts.values()) chart.redraw(false, false);
  },
});
document.getElementById('reload-readings').addEventListener('click', () => void renderReadings().catch(showError));
await Promise.all([renderBalances(), renderRecord(), renderCharts(), renderSettlements(), renderReadings()]).catch(showError);
followEvents(
  '/api/v1/events?types=TopUpWarning,LoadDeducted&backlog=100',
  (type, event) => {
    if (event.enterprise !== enterprise) return; // the bureau's stream carries every enterprise
    if (type === 'TopUpWarning') showWarning(event);
    else void Promise.all([renderBalances(), renderRecord(), renderSettlements()]).catch(showError); // a settlement charged it: show it now (the debt moves the score)
  },
  (state) => {
    document.getElementById('stream-state').textContent = state === 'live' ? '(live from the chain)' : `(${state})`;
  },
);
document.body.dataset.ready = 'true';
window.setInterval(() => void refresh(), config.refreshMs);
