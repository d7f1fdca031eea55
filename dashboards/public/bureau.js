/* global document, window */
// The bureau overview: every enterprise with its credits, every device with its reading counts, every settlement.
import { COD, connectChain, el, enterpriseKey, getJson, kg, mass, pollutantName, setRows, shortHash, showError, time } from './common.js';

const config = await getJson('config.json');
const chain = await connectChain(config);

/** Readings per device in [now - ms, now], summed over its pollutants; and the start of its newest window of `every`. */
async function deviceCounts(ms, every) {
  const now = Date.now();
  const query = new URLSearchParams({ from: String(now - ms), to: String(now + 1000), every, limit: '100000' });
  const { windows } = await getJson(`/api/v1/readings?${query}`);
  const devices = new Map();
  for (const w of windows) {
    const d = devices.get(w.device) ?? { enterprise: w.enterprise, outfall: w.outfall, device: w.device, count: 0, last: 0 };
    d.count += w.count;
    d.last = Math.max(d.last, w.ts);
    devices.set(w.device, d);
  }
  return devices;
}

async function render() {
  const [status, hour, minute] = await Promise.all([getJson('/status'), deviceCounts(3_600_000, '1h'), deviceCounts(60_000, '1s')]);
  const enterprises = [...new Set([...Object.keys(status.balances), ...[...hour.values()].map((d) => d.enterprise)])].sort();
  const pollutants = [...new Set(Object.values(status.balances).flatMap((b) => Object.keys(b)))].sort();
  const devices = [...hour.values()].sort((a, b) => a.enterprise.localeCompare(b.enterprise) || a.device.localeCompare(b.device));

  document.getElementById('enterprise-head').replaceChildren(
    el('th', {}, 'enterprise'),
    ...pollutants.map((p) => el('th', {}, `${pollutantName(p)} left`)),
    el('th', {}, 'outfalls'),
    el('th', {}, 'devices'),
  );
  setRows(
    document.getElementById('enterprises'),
    enterprises.map((enterprise) => {
      const own = devices.filter((d) => d.enterprise === enterprise);
      const balances = status.balances[enterprise] ?? {};
      return el(
        'tr',
        { 'data-testid': 'enterprise-row' },
        el('td', {}, el('a', { href: `enterprise.html?enterprise=${encodeURIComponent(enterprise)}` }, enterprise)),
        ...pollutants.map((p) =>
          el('td', { class: balances[p] !== undefined && BigInt(balances[p]) < 0n ? 'debt' : '' }, balances[p] === undefined ? '–' : `${kg(balances[p])} kg`),
        ),
        el('td', {}, String(new Set(own.map((d) => d.outfall)).size)),
        el('td', {}, String(own.length)),
      );
    }),
  );

  setRows(
    document.getElementById('devices'),
    devices.map((d) => {
      const recent = minute.get(d.device)?.count ?? 0;
      return el(
        'tr',
        { 'data-testid': 'device-row' },
        el('td', {}, d.enterprise),
        el('td', {}, d.outfall),
        el('td', {}, d.device),
        el('td', { class: recent > 0 ? 'ok' : 'bad' }, recent > 0 ? 'online' : 'offline'),
        el('td', {}, String(recent)),
        el('td', {}, String(d.count)),
        el('td', {}, minute.has(d.device) ? time(minute.get(d.device).last) : '–'),
      );
    }),
  );

  const [batches, deductions] = await Promise.all([chain.settlements(50), chain.deductions()]);
  const names = new Map(enterprises.map((e) => [enterpriseKey(e), e]));
  document.getElementById('settlement-head').replaceChildren(
    ...['batch', 'time', 'readings', ...enterprises.map((e) => `${e} ${pollutantName(COD)}`), 'Merkle root', 'transaction'].map((h) => el('th', {}, h)),
  );
  setRows(
    document.getElementById('settlements'),
    batches.map((b) => {
      const charged = new Map(
        deductions.filter((d) => d.batchId === b.batchId && d.pollutant === COD).map((d) => [names.get(d.enterpriseKey), d.milligrams]),
      );
      return el(
        'tr',
        { 'data-testid': 'settlement-row' },
        el('td', {}, String(b.batchId)),
        el('td', {}, time(b.time)),
        el('td', {}, String(b.readingCount)),
        ...enterprises.map((e) => el('td', {}, charged.has(e) ? mass(charged.get(e)) : '–')),
        el('td', { class: 'mono', title: b.root }, shortHash(b.root)),
        el('td', { class: 'mono', title: b.txHash }, shortHash(b.txHash)),
      );
    }),
  );
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
document.body.dataset.ready = 'true';
window.setInterval(() => void refresh(), config.refreshMs);
