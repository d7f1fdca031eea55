/* global document, window */
// The public record: what is on chain, read in this browser straight from the chain node (ethers):
// allocations, balances, settlements with their anchored Merkle roots, the blacklist.
// From the server it takes the enterprises' ids (to name their hashed keys) and, unless the reader set their own
// node and pinned the ledger (trust-panel.js), the chain's address: the page says which.
import { renderBlacklistTable, renderSettlementsTable } from './ledger-tables.js';
import { connectTrustedChain } from './trust-panel.js';
import { el, enterpriseNames, followEvents, getJson, mass, pollutantName, setRows, shortHash, showError, time } from './common.js';

const config = await getJson('config.json');
const chain = await connectTrustedChain(config);
const { enterprises: listed } = await getJson('/api/v1/enterprises');
const enterprises = listed.map((e) => e.enterprise);
const names = enterpriseNames(enterprises);
const nameOf = (key) => names.get(key) ?? shortHash(key);
document.getElementById('source').textContent =
  `在您的浏览器中直接读取上方所示的链 · Read in your browser from the chain named above` +
  `${config.blacklist ? `; Blacklist ${config.blacklist} (本服务器提供 from this server)` : ''}. Nothing here comes from the operator's database.`;

async function renderEnterprises(allocations, history) {
  const pollutants = [...new Set(allocations.map((a) => a.pollutant))].sort();
  const standing = new Map();
  for (const h of history) standing.set(nameOf(h.enterpriseKey), h);
  document.getElementById('enterprise-head').replaceChildren(
    el('th', {}, 'enterprise'),
    ...pollutants.map((p) => el('th', {}, `${pollutantName(p)} left / allocated`)),
    el('th', {}, 'blacklist'),
  );
  setRows(
    document.getElementById('enterprises'),
    await Promise.all(enterprises.map(async (enterprise) => {
      const cells = await Promise.all(pollutants.map(async (p) => {
        const [left, allocated] = await Promise.all([chain.balanceOf(enterprise, p), chain.allocationOf(enterprise, p)]);
        return el('td', { class: left < 0n ? 'debt' : '' }, `${mass(left)} / ${mass(allocated)}`);
      }));
      const entry = standing.get(enterprise);
      return el(
        'tr',
        { 'data-testid': 'enterprise-row' },
        el('td', {}, enterprise),
        ...cells,
        el('td', { class: entry?.listed ? 'bad' : '' }, entry?.listed ? `listed: ${entry.reason}` : 'not listed'),
      );
    })),
  );
}

function renderAllocations(allocations) {
  setRows(
    document.getElementById('allocations'),
    [...allocations].reverse().slice(0, 20).map((a) =>
      el(
        'tr',
        { 'data-testid': 'allocation-row' },
        el('td', {}, time(a.time)),
        el('td', {}, nameOf(a.enterpriseKey)),
        el('td', {}, pollutantName(a.pollutant)),
        el('td', {}, mass(a.milligrams)),
        el('td', {}, mass(a.balanceAfter)),
        el('td', { class: 'mono', title: a.txHash }, shortHash(a.txHash)),
      ),
    ),
  );
}



async function render() {
  const [allocations, history] = await Promise.all([chain.allocations(), chain.blacklistHistory()]);
  renderAllocations(allocations);
  renderBlacklistTable(history, nameOf, Boolean(config.blacklist));
  await Promise.all([renderEnterprises(allocations, history), renderSettlementsTable(chain, enterprises, nameOf, 15)]);
}

async function refresh() {
  try {
    await render();
    showError();
  } catch (error) {
    showError(error);
  }
}

await refresh();
// A new anchoring on chain (the public's event stream carries only those): read the chain again.
let pending;
followEvents(
  '/api/v1/events?types=BatchSettled&backlog=0',
  () => {
    window.clearTimeout(pending);
    pending = window.setTimeout(() => void refresh(), 300);
  },
  (state) => {
    document.getElementById('stream-state').textContent = state === 'live' ? '(updated as the chain anchors)' : `(${state})`;
  },
);
document.body.dataset.ready = 'true';
window.setInterval(() => void refresh(), config.refreshMs * 2);
