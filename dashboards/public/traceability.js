/* global document, uPlot */
// Traceability (污水溯源) in the bureau's view: a river station saw an event; which upstream outfall explains it?
// The bureau loads the station's readings (the trace CLI's station CSV), picks the event window (inputs, or a drag
// on the station's chart) and the candidate outfalls (every enrolled one, read from the store, or an outfall CSV),
// and POST /api/v1/traceability ranks them (analytics/src/traceability/traceability.ts).
import { el, getJson, postJson, pollutantName } from './common.js';
import { parseOutfallCsv, parseStationCsv } from './trace-csv.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
/** What the ranking says of each outfall, and its colour. */
const VERDICTS = {
  'likely source': '#b91c1c',
  'possible contributor': '#d97706',
  'not explained': '#829ab1',
};
const STATION_COLOUR = '#1f6fb2';
const SOURCE_COLOUR = '#c2410c';
const EVENT_SHADE = 'rgba(217, 119, 6, 0.14)';

const $ = (id) => document.getElementById(id);

/**
 * `YYYY-MM-DD HH:MM` in the browser's time zone, and back: unambiguous and 24-hour whatever the
 * browser's locale (a datetime-local input shows 06/03/2024, 01:33 PM in some).
 */
const toInput = (ms) => new Date(ms - new Date(ms).getTimezoneOffset() * MINUTE).toISOString().slice(0, 16).replace('T', ' ');
function fromInput(value) {
  const m = /^\s*(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})\s*$/.exec(value);
  return m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5])).getTime() : Number.NaN;
}
const clock = (ms) => new Date(ms).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false });
const day = (ms) => new Date(ms).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });
/** A time axis in 24-hour clock times, with the date at midnight, as everywhere else in the pages. */
const TIME_AXIS = {
  space: 70,
  values: (_u, splits) =>
    splits.map((s) => {
      const d = new Date(s * 1000);
      return d.getHours() === 0 && d.getMinutes() === 0 ? d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short' }) : clock(s * 1000);
    }),
};

/**
 * A series' usual value at a time, as the ranking has it: the median of its history (samples
 * before `historyEnd`) within half an hour of the same time of day.
 */
function usualOf(ts, values, historyEnd) {
  const history = [];
  for (let i = 0; i < ts.length && ts[i] < historyEnd; i += 1) if (values[i] !== null && Number.isFinite(values[i])) history.push([ts[i] % DAY, values[i]]);
  return (t) => {
    const tod = t % DAY;
    const near = history.filter(([d]) => Math.min(Math.abs(d - tod), DAY - Math.abs(d - tod)) <= 30 * MINUTE).map(([, v]) => v).sort((a, b) => a - b);
    if (near.length === 0) return Number.NaN;
    const mid = near.length >> 1;
    return near.length % 2 ? near[mid] : (near[mid - 1] + near[mid]) / 2;
  };
}
/** Linear interpolation of a series at `t`; NaN outside it. */
function interpolate(ts, values, t) {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ts[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  if (ts[lo] === t) return values[lo] ?? Number.NaN;
  if (lo === 0 || lo >= ts.length) return Number.NaN;
  const [a, b] = [values[lo - 1], values[lo]];
  if (a === null || b === null) return Number.NaN;
  return a + ((b - a) * (t - ts[lo - 1])) / (ts[lo] - ts[lo - 1]);
}

/** Shades [from, to] (ms) on a chart, under its lines. */
const shadeSpan = (span) => (u) => {
  const s = span();
  if (!s || !(s.end > s.start)) return;
  const { ctx, bbox } = u;
  const x0 = Math.max(bbox.left, u.valToPos(s.start / 1000, 'x', true));
  const x1 = Math.min(bbox.left + bbox.width, Math.max(x0 + 2, u.valToPos(s.end / 1000, 'x', true)));
  if (x1 <= bbox.left || x0 >= bbox.left + bbox.width) return;
  ctx.save();
  ctx.fillStyle = EVENT_SHADE;
  ctx.fillRect(x0, bbox.top, x1 - x0, bbox.height);
  ctx.restore();
};

/**
 * Starts the panel in the page's `#traceability` section. `enrolled()` resolves to the enrolled
 * outfalls [{ enterprise, outfall }] (the default candidates, read from the store).
 */
export function startTraceabilityPanel({ enrolled = async () => (await getJson('/api/v1/outfalls')).outfalls } = {}) {
  let station = null;
  /** The outfall CSV's series, or null: candidates are the enrolled outfalls, read from the store. */
  let outfallCsv = null;
  let candidates = [];
  /** outfall -> enterprise, of the enrolled outfalls. */
  const enterpriseOf = new Map();
  let stationChart = null;
  let resultChart = null;

  const eventWindow = () => ({ start: fromInput($('trace-start').value), end: fromInput($('trace-end').value) });
  const pollutant = () => $('trace-pollutant').value;
  const setError = (message) => {
    $('trace-error').textContent = message ? `⚠ ${message}` : '';
  };

  function renderCandidates() {
    $('trace-outfall-source').textContent = outfallCsv
      ? `${candidates.length} outfalls from ${outfallCsv.name}; their readings are sent with the request`
      : `${candidates.length} enrolled outfalls; their flow and the station's pollutant are read from the store (means on the station's sampling step)`;
    $('trace-use-enrolled').hidden = !outfallCsv;
    $('trace-candidates').replaceChildren(
      ...candidates.map((c) => {
        const include = el('input', { type: 'checkbox', 'data-testid': 'trace-include' });
        include.checked = c.include;
        include.addEventListener('change', () => {
          c.include = include.checked;
        });
        const distance = el('input', { type: 'number', min: '0', step: '0.1', class: 'distance', placeholder: 'unknown', 'aria-label': `distance of ${c.outfall} to the station, km` });
        if (c.distanceKm !== undefined) distance.value = String(c.distanceKm);
        distance.addEventListener('change', () => {
          c.distanceKm = distance.value === '' ? undefined : Number(distance.value);
        });
        return el('tr', { 'data-testid': 'trace-candidate', 'data-outfall': c.outfall }, el('td', {}, include), el('td', {}, c.outfall), el('td', {}, c.enterprise ?? 'not enrolled'), el('td', {}, distance));
      }),
    );
  }

  async function useEnrolled() {
    outfallCsv = null;
    $('trace-outfall-file').value = '';
    const outfalls = await enrolled();
    for (const o of outfalls) enterpriseOf.set(o.outfall, o.enterprise);
    candidates = outfalls.map((o) => ({ outfall: o.outfall, enterprise: o.enterprise, include: true, distanceKm: undefined }));
    renderCandidates();
  }

  function renderStationChart() {
    const values = station.pollutants[pollutant()];
    const container = $('trace-station-chart');
    stationChart?.destroy();
    container.replaceChildren();
    stationChart = new uPlot(
      {
        width: Math.max(320, container.clientWidth - 8),
        height: 170,
        legend: { live: false },
        cursor: { drag: { x: true, y: false, setScale: false } },
        select: { show: true },
        scales: { x: { time: true } },
        series: [{}, { label: `${pollutantName(pollutant())} at the station (mg/L) — drag across the event to set its window`, stroke: STATION_COLOUR, width: 1.5, points: { show: false } }],
        axes: [TIME_AXIS, { label: 'mg/L', size: 50 }],
        hooks: {
          drawClear: [shadeSpan(eventWindow)],
          setSelect: [
            (u) => {
              if (u.select.width < 3) return;
              const start = Math.round((u.posToVal(u.select.left, 'x') * 1000) / MINUTE) * MINUTE;
              const end = Math.round((u.posToVal(u.select.left + u.select.width, 'x') * 1000) / MINUTE) * MINUTE;
              $('trace-start').value = toInput(start);
              $('trace-end').value = toInput(end);
              u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
              u.redraw(false, false);
            },
          ],
        },
      },
      [station.ts.map((t) => t / 1000), values],
      container,
    );
  }

  async function loadStation(file) {
    setError();
    try {
      station = parseStationCsv(await file.text());
    } catch (error) {
      station = null;
      setError(error.message);
      return;
    }
    const select = $('trace-pollutant');
    select.replaceChildren(...Object.keys(station.pollutants).map((code) => el('option', { value: code }, pollutantName(code))));
    const step = station.ts.length > 1 ? (station.ts.at(-1) - station.ts[0]) / (station.ts.length - 1) : 0;
    $('trace-station-info').textContent =
      `${station.ts.length} samples, ${day(station.ts[0])} ${clock(station.ts[0])} to ${day(station.ts.at(-1))} ${clock(station.ts.at(-1))}` +
      `${step ? `, every ${Math.round(step / MINUTE)} min` : ''}${station.riverFlow ? ', with the river flow' : ''}`;
    renderStationChart();
  }

  async function loadOutfalls(file) {
    setError();
    try {
      const series = parseOutfallCsv(await file.text());
      outfallCsv = { name: file.name, series: new Map(series.map((s) => [s.outfall, s])) };
      candidates = series.map((s) => ({ outfall: s.outfall, enterprise: enterpriseOf.get(s.outfall), include: true, distanceKm: s.distanceKm }));
      renderCandidates();
    } catch (error) {
      setError(error.message);
    }
  }

  /** The request body, or throws what is missing in words. */
  function request() {
    if (!station) throw new Error('load the station\'s readings first (a CSV: ts, one column per pollutant, optional flow)');
    const event = eventWindow();
    if (!Number.isFinite(event.start) || !Number.isFinite(event.end)) throw new Error('set the event window: from and to as YYYY-MM-DD HH:MM (or drag across the station chart)');
    if (event.end <= event.start) throw new Error('the event window ends before it starts');
    const code = pollutant();
    const chosen = candidates.filter((c) => c.include);
    if (chosen.length === 0) throw new Error('choose at least one candidate outfall');
    const outfalls = chosen.map((c) => {
      const distance = c.distanceKm === undefined || !Number.isFinite(c.distanceKm) ? {} : { distanceKm: c.distanceKm };
      if (!outfallCsv) return { outfall: c.outfall, ...distance };
      const s = outfallCsv.series.get(c.outfall);
      const concentration = s.pollutants[code];
      if (!concentration) throw new Error(`${outfallCsv.name} has no ${pollutantName(code)} column for the outfalls`);
      return { outfall: c.outfall, ...distance, ts: s.ts, flow: s.flow, concentration };
    });
    const vmin = Number($('trace-vmin').value);
    const vmax = Number($('trace-vmax').value);
    const maxLag = Number($('trace-max-lag').value);
    return {
      station: { ts: station.ts, values: station.pollutants[code], pollutant: code, ...(station.riverFlow ? { riverFlow: station.riverFlow } : {}) },
      event,
      outfalls,
      options: {
        velocityMs: { min: vmin, max: vmax },
        maxLagMinutes: maxLag,
        // The explanation's clock times in this page's time zone, like everything else on it.
        utcOffsetHours: -new Date(event.start).getTimezoneOffset() / 60,
      },
    };
  }

  function renderRanking(answer) {
    const likely = answer.ranking.filter((r) => r.verdict === 'likely source').length;
    const event = answer.event;
    $('trace-summary').textContent =
      `${pollutantName(answer.pollutant)} event at the station, ${day(event.start)} ${clock(event.start)}–${clock(event.end)}: ` +
      (likely > 0 ? `${answer.ranking[0].outfall} is the likely source.` : 'no candidate outfall explains it (an unmonitored discharge?).');
    $('trace-result').hidden = false;
    $('trace-rows').replaceChildren(
      ...answer.ranking.map((r, i) => {
        const colour = VERDICTS[r.verdict] ?? '#829ab1';
        const bar = el('span', { class: 'score-bar' }, el('i', { style: `width: ${Math.round(100 * r.score)}%; background: ${colour}` }));
        const velocity = r.impliedVelocityMs === undefined ? '' : ` (${r.impliedVelocityMs.toFixed(2)} m/s)`;
        return el(
          'tr',
          { 'data-testid': 'trace-row', 'data-outfall': r.outfall, 'data-verdict': r.verdict, class: r.verdict === 'likely source' ? 'likely' : r.verdict === 'not explained' ? 'unexplained' : '' },
          el('td', {}, String(i + 1)),
          el('td', { class: 'outfall' }, r.outfall),
          el('td', { class: 'score' }, bar, el('span', { 'data-testid': 'trace-score' }, r.score.toFixed(2))),
          el('td', {}, el('span', { class: 'verdict-badge', style: `background: ${colour}`, 'data-testid': 'trace-verdict' }, r.verdict)),
          el('td', { class: 'num' }, `${Math.round(r.lagMinutes)} min${velocity}`),
          el('td', { class: 'num' }, `${Math.round(100 * r.explainedShare)} %`),
          el('td', { class: 'explanation', 'data-testid': 'trace-explanation' }, r.explanation),
        );
      }),
    );
  }

  /** The station's excess over its usual, with the top outfall's excess load shifted by its lag over it. */
  function renderResultChart(answer, body) {
    const top = answer.ranking[0];
    const source = outfallCsv ? outfallCsv.series.get(top.outfall) : answer.stored.find((s) => s.outfall === top.outfall);
    const container = $('trace-chart');
    resultChart?.destroy();
    resultChart = null;
    container.replaceChildren();
    if (!source) return;
    const concentration = source.pollutants ? source.pollutants[answer.pollutant] : source.concentration;
    const { start, end } = answer.event;
    const lag = top.lagMinutes * MINUTE;
    const context = 120 * MINUTE;
    const stationUsual = usualOf(body.station.ts, body.station.values, start - context);
    const load = source.ts.map((_, j) => (source.flow[j] === null || concentration[j] === null ? null : source.flow[j] * concentration[j]));
    const loadUsual = usualOf(source.ts, load, start - context - lag);
    const idx = body.station.ts.map((t, k) => k).filter((k) => body.station.ts[k] >= start - 3 * context / 2 && body.station.ts[k] <= end + 3 * context / 2);
    const x = idx.map((k) => body.station.ts[k] / 1000);
    const excess = idx.map((k) => (body.station.values[k] === null ? null : body.station.values[k] - stationUsual(body.station.ts[k])));
    // The load above its usual, spread as the ranking found the river spreads it (a Gaussian of
    // `spreadMinutes`: a plume arrives lower and wider than it left), then shifted by the lag.
    const sigma = top.spreadMinutes * MINUTE;
    const offsets = [];
    for (let d = -3 * sigma; d <= 3 * sigma; d += MINUTE) offsets.push([d, sigma > 0 ? Math.exp(-0.5 * (d / sigma) ** 2) : 1]);
    const excessLoadAt = (t) => interpolate(source.ts, load, t) - loadUsual(t);
    const shifted = idx.map((k) => {
      const t = body.station.ts[k] - lag;
      let sum = 0;
      let weight = 0;
      for (const [d, w] of offsets) {
        const v = excessLoadAt(t + d);
        if (Number.isFinite(v)) [sum, weight] = [sum + w * v, weight + w];
      }
      return weight > 0 ? sum / weight / 1000 : null; // g/h -> kg/h
    });
    const name = pollutantName(answer.pollutant);
    const spreadWords = top.spreadMinutes > 0 ? `, spread over ${top.spreadMinutes} min as the river spreads it` : '';
    $('trace-chart-title').textContent =
      `${top.outfall}'s load, ${Math.round(top.lagMinutes)} min later (its travel time)${spreadWords}, over the station's ${name}; both above their usual for the time of day; shaded: the event window`;
    resultChart = new uPlot(
      {
        width: Math.max(320, container.clientWidth - 8),
        height: 230,
        legend: { live: false },
        scales: { x: { time: true }, c: {}, l: {} },
        series: [
          {},
          { label: `station ${name} above usual (mg/L)`, scale: 'c', stroke: STATION_COLOUR, width: 2, points: { show: false } },
          { label: `${top.outfall} ${name} load above usual, ${Math.round(top.lagMinutes)} min later (kg/h)`, scale: 'l', stroke: SOURCE_COLOUR, width: 2, dash: [6, 3], points: { show: false } },
        ],
        axes: [
          TIME_AXIS,
          { scale: 'c', label: `station ${name} mg/L`, stroke: STATION_COLOUR, size: 50 },
          { scale: 'l', side: 1, label: `${top.outfall} kg/h`, stroke: SOURCE_COLOUR, grid: { show: false }, size: 50 },
        ],
        hooks: { drawClear: [shadeSpan(() => answer.event)] },
      },
      [x, excess, shifted],
      container,
    );
  }

  async function rank() {
    setError();
    let body;
    try {
      body = request();
    } catch (error) {
      setError(error.message);
      return;
    }
    const button = $('trace-run');
    button.disabled = true;
    $('trace-state').textContent = `ranking ${body.outfalls.length} outfalls…`;
    try {
      const answer = await postJson('/api/v1/traceability', body);
      renderRanking(answer);
      renderResultChart(answer, body);
      $('trace-state').textContent = '';
      document.getElementById('traceability').dataset.ranked = 'true';
    } catch (error) {
      $('trace-state').textContent = '';
      setError(`The outfalls could not be ranked: ${error.message}`);
    } finally {
      button.disabled = false;
    }
  }

  $('trace-station-file').addEventListener('change', (e) => {
    const file = e.target.files?.[0];
    if (file) void loadStation(file);
  });
  $('trace-outfall-file').addEventListener('change', (e) => {
    const file = e.target.files?.[0];
    if (file) void loadOutfalls(file);
  });
  $('trace-use-enrolled').addEventListener('click', () => void useEnrolled().catch((error) => setError(error.message)));
  $('trace-pollutant').addEventListener('change', () => station && renderStationChart());
  for (const id of ['trace-start', 'trace-end']) $(id).addEventListener('input', () => stationChart?.redraw(false, false));
  $('trace-run').addEventListener('click', () => void rank());
  return useEnrolled().catch((error) => setError(error.message));
}
