/* global document, window */
// The enterprise view: credits left per pollutant, its outfalls' flow and COD, its settlements, and readings to verify.
import { COD, FLOW, connectChain, el, getJson, kg, mass, pollutantName, setRows, shortHash, showError, time } from './common.js';
import { alignWindows, renderChart } from './charts.js';
import { verifyProof } from './verify.js';

const params = new URLSearchParams(window.location.search);
/** Chart range and window: ?minutes=10&every=5s. */
const minutes = Number(params.get('minutes') ?? 10);
const every = params.get('every') ?? '5s';

const config = await getJson('config.json');
const chain = await connectChain(config);
const status = await getJson('/status');
const enterprises = Object.keys(status.balances).sort();
const enterprise = params.get('enterprise') ?? enterprises[0];
const select = document.getElementById('enterprise');
select.replaceChildren(...enterprises.map((e) => el('option', e === enterprise ? { value: e, selected: '' } : { value: e }, e)));
select.addEventListener('change', () => {
  params.set('enterprise', select.value);
  window.location.search = params.toString();
});
document.getElementById('range').textContent = `last ${minutes} min, mean per ${every}`;

const allocations = new Map();
async function renderBalances(balances) {
  const cards = [];
  for (const [pollutant, left] of Object.entries(balances ?? {})) {
    if (!allocations.has(pollutant)) allocations.set(pollutant, await chain.allocationOf(enterprise, pollutant));
    const allocated = allocations.get(pollutant);
    const share = allocated > 0n ? Math.max(0, Math.min(1, Number(BigInt(left)) / Number(allocated))) : 0;
    cards.push(
      el(
        'div',
        { class: `card${BigInt(left) < 0n ? ' debt' : share < 0.2 ? ' low' : ''}`, 'data-testid': `balance-${pollutant}` },
        el('div', { class: 'label' }, pollutantName(pollutant)),
        el('div', { class: 'value' }, `${kg(left)} kg`),
        el('div', { class: 'bar' }, el('span', { style: `width:${(share * 100).toFixed(1)}%` })),
        el('div', { class: 'sub' }, `of ${kg(allocated)} kg allocated`),
      ),
    );
  }
  document.getElementById('balances').replaceChildren(...cards);
}

const charts = new Map();
async function renderCharts() {
  const now = Date.now();
  const query = new URLSearchParams({ enterprise, from: String(now - minutes * 60_000), to: String(now + 1000), every });
  const { windows } = await getJson(`/api/v1/readings?${query}`);
  const byOutfall = Map.groupBy(windows, (w) => w.outfall);
  const container = document.getElementById('charts');
  for (const outfall of [...byOutfall.keys()].sort()) {
    let box = container.querySelector(`[data-outfall="${outfall}"]`);
    if (!box) {
      box = el('div', { class: 'chart', 'data-outfall': outfall });
      container.append(box);
    }
    const data = alignWindows(byOutfall.get(outfall), [FLOW, COD]);
    charts.set(outfall, renderChart(charts.get(outfall), box, `${outfall} — flow and COD`, [FLOW, COD], data));
  }
  if (byOutfall.size === 0) container.replaceChildren(el('p', { class: 'hint' }, 'no readings in this range yet'));
}

async function renderSettlements() {
  const [batches, deductions] = await Promise.all([chain.settlements(20), chain.deductions(enterprise)]);
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
        el('td', {}, lines.map((d) => `${pollutantName(d.pollutant)} ${kg(d.balanceAfter)} kg`).join(', ') || '–'),
        el('td', { class: 'mono', title: b.txHash }, shortHash(b.txHash)),
      );
    }),
  );
  return new Set(batches.map((b) => Number(b.batchId)));
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
    const { valid, checks } = await verifyProof(proof, chain);
    result.className = `result ${valid ? 'ok' : 'bad'}`;
    const failed = checks.filter((c) => !c.ok).map((c) => c.name);
    result.replaceChildren(
      el('span', {}, valid ? '✓ on chain ' : `✗ ${failed.join(', ')} failed `),
      el('span', { class: 'mono', title: proof.txHash ?? '' }, proof.txHash ? `tx ${shortHash(proof.txHash)}` : 'no transaction'),
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

async function refresh() {
  try {
    const current = await getJson('/status');
    await Promise.all([renderBalances(current.balances[enterprise]), renderCharts(), renderSettlements()]);
    showError();
  } catch (error) {
    showError(error);
  }
}

document.getElementById('reload-readings').addEventListener('click', () => void renderReadings().catch(showError));
await renderBalances(status.balances[enterprise]);
await Promise.all([renderCharts(), renderSettlements(), renderReadings()]).catch(showError);
document.body.dataset.ready = 'true';
window.setInterval(() => void refresh(), config.refreshMs);
