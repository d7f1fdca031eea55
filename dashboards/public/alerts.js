/* global document, window */
// Detected alerts in the pages: the anomaly timeline (a row per outfall, a mark per alert coloured by kind),
// the alerts table, and one alert's evidence with its check against AlertRegistry on chain: the page
// recomputes the evidence hash itself (sha256 of the canonical evidence) and compares it with the chain's.
import { sha256, toUtf8Bytes } from './vendor/ethers.min.js';
import { canonicalJson } from './vendor/canonical.js';
import { duration, el, enterpriseKey, getJson, shortHash, time } from './common.js';

/** Colour and words per alert kind (analytics/src/detectors/detector.ts AlertKind). */
export const KINDS = {
  'ph-out-of-range': { colour: '#c026d3', words: 'pH out of range' },
  spike: { colour: '#dc2626', words: 'spike' },
  'bypass-dump': { colour: '#991b1b', words: 'bypass dump' },
  dilution: { colour: '#2563eb', words: 'dilution' },
  'night-flow': { colour: '#4338ca', words: 'night-time flow' },
  'flow-surge': { colour: '#0891b2', words: 'flow surge' },
  'level-shift': { colour: '#7c3aed', words: 'lasting change of level' },
  flatline: { colour: '#d97706', words: 'flatline (frozen analyzer)' },
  replay: { colour: '#a16207', words: 'replayed values' },
  anomaly: { colour: '#475569', words: 'anomaly' },
};
export const kindOf = (kind) => KINDS[kind] ?? { colour: '#64748b', words: kind };

/** The evidence in canonical JSON, as cloud/src/detection/alert-record.ts `canonicalEvidence`: a missing expected value is null. */
export function canonicalEvidence(evidence) {
  return canonicalJson({
    ...evidence,
    readings: evidence.readings.map((r) => ({ ...r, expected: Number.isFinite(r.expected) ? r.expected : null })),
  });
}

/** 0x sha256 of the canonical evidence: what the oracle records on chain. */
export const evidenceHashOf = (evidence) => sha256(toUtf8Bytes(canonicalEvidence(evidence)));

/** GET /api/v1/alerts over a range (the API scopes it to the caller). */
export async function fetchAlerts(fromMs, toMs, enterprise) {
  const query = new URLSearchParams({ from: String(fromMs), to: String(toMs) });
  if (enterprise) query.set('enterprise', enterprise);
  return (await getJson(`/api/v1/alerts?${query}`)).alerts;
}

/**
 * Checks an alert against AlertRegistry: { state, onChain, detail }, state one of
 * `unrecorded` (not on chain yet), `match` (the page's own hash of the evidence, the server's
 * and the chain's agree, and so do enterprise, outfall, kind and window), `mismatch`, `none`
 * (no AlertRegistry configured).
 */
export async function checkAlert(alert, chain) {
  if (!chain.hasAlertRegistry) return { state: 'none', onChain: null, detail: 'no AlertRegistry configured' };
  const onChain = await chain.alertOf(alert.id);
  if (!onChain) return { state: 'unrecorded', onChain: null, detail: 'not on chain yet: the evidence hash is recorded once the alert is over' };
  const local = evidenceHashOf(alert.evidence);
  const failed = [
    local !== onChain.evidenceHash.toLowerCase() && `sha256 of this evidence is ${local}, the chain holds ${onChain.evidenceHash}`,
    local !== alert.evidenceHash.toLowerCase() && `the server says ${alert.evidenceHash}`,
    onChain.enterpriseKey !== enterpriseKey(alert.enterprise) && 'enterprise',
    onChain.outfallKey !== enterpriseKey(alert.outfall) && 'outfall',
    onChain.kindKey !== enterpriseKey(alert.kind) && 'kind',
    (onChain.start !== alert.start || onChain.end !== alert.end) && 'time window',
  ].filter(Boolean);
  return failed.length === 0
    ? { state: 'match', onChain, detail: `sha256 of the evidence shown here = ${local} = AlertRegistry.alertOf(${shortHash(alert.id)}).evidenceHash` }
    : { state: 'mismatch', onChain, detail: `differs from the chain: ${failed.join('; ')}` };
}

/** The kinds as a legend. */
export function renderLegend(container) {
  container.replaceChildren(
    ...Object.entries(KINDS).map(([kind, k]) => el('span', { class: 'legend-item', 'data-kind': kind }, el('i', { style: `background:${k.colour}` }), k.words)),
  );
}

/**
 * The timeline: a row per outfall over [fromMs, toMs], each alert a mark from its start to its
 * end (at least a few pixels), its colour its kind; open alerts hatched, confirmed ones outlined,
 * dismissed ones faded. `onSelect(alert)` on a click.
 */
export function renderTimeline(container, { alerts, outfalls, fromMs, toMs, selectedId, verdicts, onSelect }) {
  const span = toMs - fromMs;
  const pct = (ms) => `${(Math.max(0, Math.min(1, (ms - fromMs) / span)) * 100).toFixed(3)}%`;
  const rows = outfalls.map((o) => {
    const track = el('div', { class: 'track' });
    for (const a of alerts.filter((x) => x.outfall === o.outfall && x.end >= fromMs && x.start <= toMs)) {
      const verdict = verdicts.get(a.id) ?? (a.closed ? (a.txHash ? 'pending' : 'closed') : 'open');
      const mark = el('button', {
        type: 'button',
        class: `mark ${a.closed ? 'closed' : 'open'} ${verdict}${a.id === selectedId ? ' selected' : ''}`,
        style: `left:${pct(a.start)};width:calc(${pct(a.end)} - ${pct(a.start)});background-color:${kindOf(a.kind).colour}`,
        title: `${kindOf(a.kind).words} · ${time(a.start)}–${time(a.end)} · ${verdict}: ${a.evidence.note}`,
        'data-testid': 'alert-mark',
        'data-kind': a.kind,
        'data-outfall': a.outfall,
        'data-alert-id': a.id,
      });
      mark.addEventListener('click', () => onSelect(a));
      track.append(mark);
    }
    return el('div', { class: 'timeline-row', 'data-outfall': o.outfall }, el('div', { class: 'label' }, `${o.enterprise} / ${o.outfall}`), track);
  });
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => el('span', { style: `left:${f * 100}%` }, time(fromMs + f * span)));
  container.replaceChildren(...rows, el('div', { class: 'timeline-row axis' }, el('div', { class: 'label' }), el('div', { class: 'track ticks' }, ...ticks)));
}

const verdictWords = (a, verdict) => verdict ?? (a.closed ? (a.txHash ? 'pending' : 'over, being recorded') : 'ongoing');

/** The alerts table, newest first: a click shows the alert's evidence. */
export function renderAlertRows(tbody, alerts, { selectedId, verdicts, onSelect, showEnterprise = true }) {
  if (alerts.length === 0) {
    tbody.replaceChildren(el('tr', { class: 'empty' }, el('td', { colspan: '7' }, 'no anomaly detected in the range')));
    return;
  }
  tbody.replaceChildren(
    ...[...alerts].reverse().map((a) => {
      const verdict = verdicts.get(a.id);
      const row = el(
        'tr',
        { 'data-testid': 'alert-row', 'data-alert-id': a.id, 'data-kind': a.kind, class: `clickable${a.id === selectedId ? ' selected' : ''}` },
        el('td', {}, time(a.start)),
        el('td', {}, showEnterprise ? `${a.enterprise} / ${a.outfall}` : a.outfall),
        el('td', {}, el('i', { class: 'swatch', style: `background:${kindOf(a.kind).colour}` }), kindOf(a.kind).words),
        el('td', {}, a.closed ? duration(Math.max(1, (a.end - a.start) / 1000)) : 'ongoing'),
        el('td', {}, a.score.toFixed(1)),
        el('td', { class: 'note' }, a.evidence.note),
        el('td', { class: `verdict ${verdict ?? ''}`, 'data-testid': 'alert-verdict' }, verdictWords(a, verdict)),
      );
      row.addEventListener('click', () => onSelect(a));
      return row;
    }),
  );
}

const number = (v) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : Number(v.toFixed(3)).toString());

/**
 * One alert's evidence: what, where and when, the note, the readings against their expected
 * values, the evidence hash, the recording transaction, the check against the chain, and the
 * verdict (with Confirm and Dismiss when `decide` is given and the alert is pending on chain).
 */
export function renderEvidence(container, alert, check, { decide, recordingTx } = {}) {
  const k = kindOf(alert.kind);
  const readings = el(
    'table',
    { class: 'evidence-readings' },
    el('thead', {}, el('tr', {}, ...['time', 'channel', 'reading', 'expected', 'off by'].map((h) => el('th', {}, h)))),
    el(
      'tbody',
      {},
      ...alert.evidence.readings.map((r) =>
        el(
          'tr',
          { 'data-testid': 'evidence-reading' },
          el('td', {}, time(r.ts)),
          el('td', {}, r.channel),
          el('td', { class: 'bad' }, number(r.value)),
          el('td', {}, number(r.expected)),
          el('td', {}, r.expected === null ? '–' : number(r.value - r.expected)),
        ),
      ),
    ),
  );
  const verdict = check.onChain?.verdict;
  const chainLine = el(
    'p',
    { 'data-testid': 'chain-check', class: `chain-check ${check.state === 'match' ? 'ok' : check.state === 'mismatch' ? 'bad' : 'pending'}`, title: check.detail },
    check.state === 'match'
      ? '✓ evidence hash matches the chain'
      : check.state === 'mismatch'
        ? '✗ evidence hash does not match the chain'
        : check.state === 'none'
          ? 'no AlertRegistry configured: nothing to check against'
          : '… not on chain yet: its evidence hash is recorded once the alert is over',
    el('small', {}, ` ${check.detail}`),
  );
  const verdictBox = el('div', { class: 'verdict-box', 'data-testid': 'verdict', 'data-verdict': verdict ?? 'none' });
  if (verdict === 'pending' && decide) {
    const reason = el('input', { type: 'text', class: 'reason', placeholder: 'grounds (e.g. inspection report no.): its sha256 goes on chain', 'data-testid': 'verdict-reason' });
    const message = el('span', { class: 'hint' });
    const button = (v, label) => {
      const b = el('button', { type: 'button', class: `verdict-${v}`, 'data-testid': `verdict-${v}` }, label);
      b.addEventListener('click', async () => {
        if (reason.value.trim() === '') {
          message.textContent = 'give the grounds first';
          return;
        }
        for (const x of verdictBox.querySelectorAll('button')) x.disabled = true;
        message.textContent = 'sending to the chain…';
        try {
          const r = await decide(alert, v, reason.value.trim());
          message.textContent = `${v} on chain, tx ${shortHash(r.txHash)}`;
        } catch (error) {
          message.textContent = `✗ ${error.message}`;
          for (const x of verdictBox.querySelectorAll('button')) x.disabled = false;
        }
      });
      return b;
    };
    verdictBox.append(el('strong', {}, 'Verdict: pending '), reason, button('confirmed', 'Confirm'), button('dismissed', 'Dismiss'), message);
  } else if (verdict === 'confirmed' || verdict === 'dismissed') {
    verdictBox.append(
      el('strong', { class: verdict === 'confirmed' ? 'bad' : 'ok' }, `Verdict: ${verdict}`),
      ` by the bureau at ${time(check.onChain.decidedAt)}; reason hash `,
      el('span', { class: 'mono', title: check.onChain.reasonHash }, shortHash(check.onChain.reasonHash)),
    );
  } else if (verdict === 'pending') {
    verdictBox.append(el('strong', {}, 'Verdict: pending'), ' (the bureau confirms or dismisses it)');
  } else {
    verdictBox.append(el('strong', {}, 'Verdict: '), alert.closed ? 'once it is recorded on chain' : 'once the alert is over and recorded on chain');
  }
  container.hidden = false;
  container.dataset.alertId = alert.id;
  container.style.borderLeftColor = k.colour;
  container.replaceChildren(
    el('h3', {}, el('i', { class: 'swatch', style: `background:${k.colour}` }), `${k.words} at ${alert.enterprise} / ${alert.outfall}`),
    el(
      'p',
      { class: 'meta' },
      `${time(alert.start)} – ${time(alert.end)}${alert.closed ? '' : ' (ongoing)'} · score ${alert.score.toFixed(2)} (1 = at the threshold ${number(alert.evidence.threshold)}) · detector ${alert.evidence.detector} · span shaded on the outfall's charts`,
    ),
    el('p', { class: 'note', 'data-testid': 'evidence-note' }, alert.evidence.note),
    readings,
    el(
      'dl',
      { class: 'hashes' },
      el('dt', {}, 'evidence hash'),
      el('dd', { class: 'mono', 'data-testid': 'evidence-hash' }, alert.evidenceHash),
      el('dt', {}, 'recorded in tx'),
      el('dd', { class: 'mono', 'data-testid': 'evidence-tx' }, recordingTx ?? (alert.txHash && alert.txHash !== 'recorded' ? alert.txHash : alert.txHash ? 'recorded (transaction not known here)' : 'not yet')),
    ),
    chainLine,
    verdictBox,
  );
}

/**
 * The live alert panel of a page: polls GET /api/v1/alerts every `pollMs` (default 3 s) over the
 * last day, reads each recorded alert's verdict from AlertRegistry, and keeps the timeline (the
 * last `minutes`), the table and the selected alert's evidence up to date. `decide(alert,
 * verdict, reason)` (the bureau's) adds Confirm and Dismiss; `onChange()` runs after each
 * update (the page redraws its charts' shaded spans with `bandsOf(outfall)`).
 */
export function startAlertPanel({ chain, minutes, outfalls, enterprise, decide, onChange = () => {}, pollMs = 3000, showEnterprise = true }) {
  const $ = (id) => document.getElementById(id);
  let alerts = [];
  let selectedId = null;
  let shown = '';
  const verdicts = new Map();
  renderLegend($('alert-legend'));

  const select = (a) => {
    selectedId = a.id;
    void refresh();
  };

  async function showSelected() {
    const a = alerts.find((x) => x.id === selectedId);
    if (!a) return;
    const signature = `${a.id}|${a.end}|${a.closed}|${a.txHash ?? ''}|${verdicts.get(a.id) ?? ''}`;
    if (signature === shown) return;
    const check = await checkAlert(a, chain);
    if (check.onChain) verdicts.set(a.id, check.onChain.verdict);
    shown = `${a.id}|${a.end}|${a.closed}|${a.txHash ?? ''}|${verdicts.get(a.id) ?? ''}`;
    renderEvidence($('evidence'), a, check, decide ? { decide: decideAndRefresh } : {});
  }

  async function decideAndRefresh(a, verdict, reason) {
    const answer = await decide(a, verdict, reason);
    verdicts.set(a.id, verdict);
    shown = '';
    await refresh();
    return answer;
  }

  let running = false;
  async function refresh() {
    if (running) return;
    running = true;
    try {
      const now = Date.now();
      alerts = await fetchAlerts(now - 86_400_000, now + 1000, enterprise);
      // A verdict is final: ask the chain only for recorded alerts it has not decided yet.
      await Promise.all(
        alerts
          .filter((a) => a.txHash && !['confirmed', 'dismissed'].includes(verdicts.get(a.id)))
          .map(async (a) => {
            const onChain = await chain.alertOf(a.id);
            if (onChain) verdicts.set(a.id, onChain.verdict);
          }),
      );
      renderTimeline($('alert-timeline'), { alerts, outfalls: outfalls(), fromMs: now - minutes * 60_000, toMs: now, selectedId, verdicts, onSelect: select });
      renderAlertRows($('alert-rows'), alerts, { selectedId, verdicts, onSelect: select, showEnterprise });
      const open = alerts.filter((a) => !a.closed).length;
      $('alert-state').textContent = `(live, every ${pollMs / 1000} s: ${alerts.length} in the last day${open > 0 ? `, ${open} ongoing` : ''}; timeline: last ${minutes} min)`;
      await showSelected();
      onChange();
    } catch (error) {
      $('alert-state').textContent = `(⚠ ${error.message})`;
    } finally {
      running = false;
    }
  }

  void refresh();
  const timer = window.setInterval(() => void refresh(), pollMs);
  return {
    refresh,
    stop: () => window.clearInterval(timer),
    /** Spans to shade on an outfall's charts: its alerts, the selected one stronger. */
    bandsOf: (outfall) =>
      alerts.filter((a) => a.outfall === outfall).map((a) => ({ from: a.start, to: a.end, colour: kindOf(a.kind).colour, strong: a.id === selectedId })),
  };
}
