/* global document, window */
// The bureau's view: every outfall's state (online, offline, alarm) and charts against the permitted limits,
// every enterprise's credits and blacklist standing, top-up warnings as they arrive, the blacklist, every
// settlement, and the traceability ranking for a river event. Needs the bureau's token (the API refuses anyone
// else the off-chain data).
import { renderBlacklistTable, renderSettlementsTable } from './ledger-tables.js';
import {
  COD,
  FLOW,
  TOP_UP_WORDS,
  duration,
  el,
  enterpriseNames,
  followEvents,
  getJson,
  halt,
  mass,
  postJson,
  pollutantName,
  setRows,
  shortHash,
  showError,
  showWho,
  time,
  whoAmI,
} from './common.js';
import { alignWindows, limitMap, renderChart } from './charts.js';
import { startAlertPanel } from './alerts.js';
import { startTraceabilityPanel } from './traceability.js';
import { connectTrustedChain } from './trust-panel.js';

const NH3N = 'w21003';
const PH = 'w01001';
const TP = 'w21011';
const TN = 'w21001';
/** The charts of each outfall: pollutant pairs (left axis, right axis). */
const CHARTS = [[FLOW, COD], [NH3N, PH], [TP, TN]];

const params = new URLSearchParams(window.location.search);
const minutes = Number(params.get('minutes') ?? 10);

const config = await getJson('config.json');
const me = await whoAmI();
showWho(me);
if (me.role !== 'bureau') {
  showError(me.role === 'public'
    ? "This view needs the bureau's token: open the bureau URL (it ends in #token=...). The public view shows what is on chain."
    : `This is the bureau's view; ${me.enterprise}'s token reads its own enterprise view only.`);
  document.body.dataset.ready = 'denied';
  await halt();
}
const chain = await connectTrustedChain(config);
const { enterprises: registered } = await getJson('/api/v1/enterprises');
const enterprises = registered.map((e) => e.enterprise);
const names = enterpriseNames(enterprises);
const outfallList = registered.flatMap((e) => e.outfalls.map((o) => ({ enterprise: e.enterprise, outfall: o.outfall })));
/** Enterprises whose blacklisting the bureau has started to propose (the confirmation shows until done or cancelled). */
const proposing = new Set();
const limitsByOutfall = new Map();
const limitsOf = async (outfall) => {
  if (!limitsByOutfall.has(outfall)) limitsByOutfall.set(outfall, limitMap((await getJson(`/api/v1/limits?outfall=${outfall}`)).limits));
  return limitsByOutfall.get(outfall);
};

const fixed = (v, limit) => {
  if (v === undefined) return el('td', {}, '–');
  const over = limit && ((limit.max !== undefined && v > limit.max) || (limit.min !== undefined && v < limit.min));
  const bound = limit ? (limit.min !== undefined && limit.max !== undefined ? `${limit.min}–${limit.max}` : `≤ ${limit.max}`) : '';
  return el('td', { class: over ? 'bad' : '' }, v.toFixed(2), el('small', {}, bound ? ` (${bound})` : ''));
};

async function renderOutfalls() {
  const { outfalls, windowMs } = await getJson('/api/v1/outfalls');
  document.getElementById('status-window').textContent =
    `(status from the edge agents' reports and the last ${duration(windowMs / 1000)} of readings; alarm: a mean over a permitted limit)`;
  setRows(
    document.getElementById('outfalls'),
    await Promise.all(outfalls.map(async (o) => {
      const limits = await limitsOf(o.outfall);
      const last = Math.max(...o.devices.map((d) => d.lastReadingAt ?? 0));
      return el(
        'tr',
        { 'data-testid': 'outfall-row', 'data-state': o.state, 'data-outfall': o.outfall },
        el('td', {}, el('a', { href: `enterprise.html?enterprise=${encodeURIComponent(o.enterprise)}` }, o.enterprise)),
        el('td', {}, o.outfall),
        el(
          'td',
          {},
          el('span', { class: `state ${o.state}` }, o.state),
          // A status report that contradicts arriving readings: the readings decide, the report is flagged.
          ...((o.suspicious ?? []).length > 0
            ? [' ', el('span', { class: 'state suspicious', 'data-testid': 'status-suspicious', title: o.suspicious.join('\n') }, '状态可疑 suspicious status')]
            : []),
        ),
        el('td', { class: 'why' }, [...o.reasons, ...(o.suspicious ?? [])].join('; ') || '–'),
        fixed(o.means[COD], limits.get(COD)),
        fixed(o.means[NH3N], limits.get(NH3N)),
        fixed(o.means[PH], limits.get(PH)),
        el('td', {}, o.devices.map((d) => `${d.device} ${d.state}`).join(', ')),
        el('td', {}, last > 0 ? time(last) : '–'),
      );
    })),
  );
  return outfalls;
}

async function renderEnterprises(blacklist) {
  const pollutants = [...new Set((await chain.allocations()).map((a) => a.pollutant))].sort();
  const listed = new Map();
  for (const entry of blacklist) listed.set(names.get(entry.enterpriseKey) ?? entry.enterpriseKey, entry);
  // The records (score, confirmed alerts) from the API, computed there from on-chain facts; none where it reads no records.
  const records = new Map((await getJson('/api/v1/records').then((r) => r.records, () => [])).map((r) => [r.enterprise, r]));
  document.getElementById('enterprise-head').replaceChildren(
    el('th', {}, 'enterprise'),
    ...pollutants.map((p) => el('th', {}, `${pollutantName(p)} left`)),
    el('th', {}, 'blacklist'),
    el('th', {}, 'credit score'),
    el('th', {}, 'confirmed alerts'),
    el('th', {}, ''),
  );
  setRows(
    document.getElementById('enterprises'),
    await Promise.all(enterprises.map(async (enterprise) => {
      const balances = await Promise.all(pollutants.map((p) => chain.balanceOf(enterprise, p)));
      const entry = listed.get(enterprise);
      return el(
        'tr',
        { 'data-testid': 'enterprise-row' },
        el('td', {}, el('a', { href: `enterprise.html?enterprise=${encodeURIComponent(enterprise)}` }, enterprise)),
        ...balances.map((b) => el('td', { class: b < 0n ? 'debt' : '' }, mass(b))),
        el('td', { class: entry?.listed ? 'bad' : '' }, entry?.listed ? `listed: ${entry.reason}` : 'not listed'),
        ...recordCells(enterprise, records.get(enterprise)),
      );
    })),
  );
}

/** Score, confirmed alerts and, at the policy's threshold, the proposal to blacklist. */
function recordCells(enterprise, record) {
  if (!record) return [el('td', {}, '–'), el('td', {}, '–'), el('td', {})];
  const why = record.deductions.map((d) => `−${d.points} ${d.note}`).join('\n') || 'clean record';
  const action = el('td', { class: 'action' });
  if (record.blacklistProposed && !proposing.has(enterprise)) {
    const propose = el('button', { type: 'button', 'data-testid': `propose-blacklist-${enterprise}` }, 'Propose blacklisting');
    propose.addEventListener('click', () => {
      proposing.add(enterprise);
      void refresh();
    });
    action.append(propose);
  } else if (record.blacklistProposed) {
    const list = el('button', { type: 'button', class: 'danger', 'data-testid': `list-${enterprise}` }, 'List on chain');
    const cancel = el('button', { type: 'button' }, 'Cancel');
    const message = el('span', { class: 'hint' });
    list.addEventListener('click', async () => {
      list.disabled = true;
      message.textContent = 'sending…';
      try {
        const r = await postJson(`/api/v1/enterprises/${encodeURIComponent(enterprise)}/blacklist`, {});
        message.textContent = `listed, tx ${shortHash(r.txHash)}`;
        proposing.delete(enterprise);
        void refresh();
      } catch (error) {
        message.textContent = `✗ ${error.message}`;
        list.disabled = false;
      }
    });
    cancel.addEventListener('click', () => {
      proposing.delete(enterprise);
      void refresh();
    });
    action.append(
      el('span', {}, `List ${enterprise} for illegal discharge, with the hash of its ${record.facts.confirmedAlerts} confirmed alerts' ids as evidence? `),
      list,
      cancel,
      message,
    );
  }
  return [
    el('td', { class: `score${record.score < 60 ? ' bad' : ''}`, 'data-testid': `score-${enterprise}`, title: why }, String(record.score)),
    el('td', { 'data-testid': `confirmed-${enterprise}` }, String(record.facts.confirmedAlerts)),
    action,
  ];
}

const charts = new Map();
async function renderCharts(outfalls) {
  const now = Date.now();
  // A chart here is about 400 px wide: 400 points at most per series.
  const query = new URLSearchParams({ from: String(now - minutes * 60_000), to: String(now + 1000), every: 'auto', fields: 'mean', points: '400' });
  const { windows, everyMs } = await getJson(`/api/v1/readings?${query}`);
  document.getElementById('range').textContent = `(last ${minutes} min, mean per ${duration(everyMs / 1000)}; dashed red: permitted limit)`;
  const container = document.getElementById('charts');
  for (const o of outfalls) {
    const own = windows.filter((w) => w.outfall === o.outfall);
    let row = container.querySelector(`[data-outfall="${o.outfall}"]`);
    if (!row) {
      row = el('div', { class: 'chart-row', 'data-outfall': o.outfall }, ...CHARTS.map(() => el('div', { class: 'chart' })));
      container.append(row);
    }
    if (own.length === 0) continue;
    const limits = await limitsOf(o.outfall);
    const measured = new Set(own.map((w) => w.pollutant));
    CHARTS.forEach((pair, i) => {
      const key = `${o.outfall}/${i}`;
      // An outfall charts what its analyzers measure; a pair it measures neither of says so instead of drawing empty axes.
      const shown = charts.get(key)?.pollutants ?? pair.filter((p) => measured.has(p));
      if (shown.length === 0) {
        row.children[i].replaceChildren(el('p', { class: 'hint no-chart' }, `${o.outfall}: no ${pair.map(pollutantName).join(' or ')} analyzer`));
        return;
      }
      const title = `${o.enterprise} / ${o.outfall} — ${shown.map(pollutantName).join(' and ')}`;
      const chart = renderChart(charts.get(key)?.chart, row.children[i], title, shown, alignWindows(own, shown), limits, () => alertPanel.bandsOf(o.outfall));
      charts.set(key, { chart, pollutants: shown });
    });
  }
}



function showWarning(w) {
  const tbody = document.getElementById('warnings');
  tbody.querySelector('.empty')?.remove();
  tbody.prepend(
    el(
      'tr',
      { 'data-testid': 'warning-row', class: `warning ${w.reason}`, 'data-reason': w.reason },
      el('td', {}, time(w.time)),
      el('td', {}, w.enterprise),
      el('td', {}, pollutantName(w.pollutant)),
      el('td', {}, TOP_UP_WORDS[w.reason] ?? w.reason),
      el('td', {}, mass(w.balance)),
      el('td', {}, w.batchId),
      el('td', { class: 'mono', title: w.txHash }, shortHash(w.txHash)),
    ),
  );
  while (tbody.children.length > 12) tbody.lastChild.remove();
}

async function render() {
  const [outfalls, blacklist] = await Promise.all([renderOutfalls(), chain.blacklistHistory()]);
  renderBlacklistTable(blacklist, (key) => names.get(key) ?? shortHash(key), Boolean(config.blacklist));
  await Promise.all([renderEnterprises(blacklist), renderCharts(outfalls), renderSettlementsTable(chain, enterprises, (key) => names.get(key) ?? shortHash(key), 20)]);
}

async function refresh() {
  try {
    await render();
    showError();
  } catch (error) {
    showError(error);
  }
}

// Alerts: polled (GET /api/v1/alerts every 3 s), their verdicts read from AlertRegistry; the bureau decides here.
const alertPanel = startAlertPanel({
  chain,
  minutes,
  outfalls: () => outfallList,
  decide: async (alert, verdict, reason) => {
    const answer = await postJson(`/api/v1/alerts/${alert.id}/verdict`, { verdict, reason });
    void refresh(); // the score moves
    return answer;
  },
  onChange: () => {
    for (const { chart } of charts.values()) chart.redraw(false, false);
  },
});
// Traceability: the bureau's upload of a river station's readings, ranked against the outfalls (POST /api/v1/traceability).
void startTraceabilityPanel();
await refresh();
followEvents(
  '/api/v1/events?types=TopUpWarning&backlog=12',
  (_type, event) => showWarning(event),
  (state) => {
    document.getElementById('stream-state').textContent = state === 'live' ? '(live from the chain, every enterprise)' : `(${state})`;
  },
);
document.body.dataset.ready = 'true';
window.setInterval(() => void refresh(), config.refreshMs);
