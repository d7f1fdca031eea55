/* global document */
// Tables of on-chain facts the bureau's page and the public page both show, alike: the settlements
// (each enterprise's charge per batch, the anchored Merkle root) and the blacklist's history.
import { el, mass, pollutantName, setRows, shortHash, time } from './common.js';

/** Fills #settlement-head and #settlements with the last `limit` settlements; `nameOf` names a hashed enterprise key. */
export async function renderSettlementsTable(chain, enterprises, nameOf, limit) {
  const [batches, deductions] = await Promise.all([chain.settlements(limit), chain.deductions()]);
  document.getElementById('settlement-head').replaceChildren(
    ...['batch', 'time', 'readings', ...enterprises.map((e) => `${e} charged`), 'Merkle root', 'transaction'].map((h) => el('th', {}, h)),
  );
  setRows(
    document.getElementById('settlements'),
    batches.map((b) => {
      const own = deductions.filter((d) => d.batchId === b.batchId);
      return el(
        'tr',
        { 'data-testid': 'settlement-row' },
        el('td', {}, String(b.batchId)),
        el('td', {}, time(b.time)),
        el('td', {}, String(b.readingCount)),
        ...enterprises.map((e) =>
          el('td', {}, own.filter((d) => nameOf(d.enterpriseKey) === e).map((d) => `${pollutantName(d.pollutant)} ${mass(d.milligrams)}`).join(', ') || '–'),
        ),
        el('td', { class: 'mono', title: b.root }, shortHash(b.root)),
        el('td', { class: 'mono', title: b.txHash }, shortHash(b.txHash)),
      );
    }),
  );
}

/** Fills #blacklist with the listings and delistings, newest first. */
export function renderBlacklistTable(history, nameOf, configured) {
  setRows(
    document.getElementById('blacklist'),
    history.length === 0
      ? [el('tr', {}, el('td', { colspan: '6' }, configured ? 'no enterprise has been listed' : 'no Blacklist contract configured'))]
      : [...history].reverse().map((h) =>
          el(
            'tr',
            { 'data-testid': 'blacklist-row' },
            el('td', {}, time(h.time)),
            el('td', {}, nameOf(h.enterpriseKey)),
            el('td', { class: h.listed ? 'bad' : 'ok' }, h.listed ? 'listed' : 'delisted'),
            el('td', {}, h.reason),
            el('td', { class: 'mono', title: h.evidenceHash }, shortHash(h.evidenceHash)),
            el('td', { class: 'mono', title: h.txHash }, shortHash(h.txHash)),
          ),
        ),
  );
}
