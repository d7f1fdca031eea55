/* global uPlot */
// Time-series charts (uPlot, loaded as a global by the page) of downsampled windows (/api/v1/readings?every=auto),
// with the permitted limits (/api/v1/limits) drawn as dashed lines on their pollutant's axis.
import { POLLUTANTS, pollutantName, time } from './common.js';

const COLOURS = ['#1f6fb2', '#c2410c', '#15803d', '#7c3aed'];
const LIMIT_COLOUR = '#b91c1c';
/** Time-axis tick spacings, seconds: whole seconds at least, so no two ticks read the same clock time. */
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];

/**
 * Aligns windows ({ ts, pollutant, mean }) of one outfall into uPlot's columns:
 * [seconds[], ...one array of means per pollutant], null where a window is missing.
 */
export function alignWindows(windows, pollutants) {
  const times = [...new Set(windows.map((w) => w.ts))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const columns = pollutants.map(() => times.map(() => null));
  for (const w of windows) {
    const p = pollutants.indexOf(w.pollutant);
    if (p >= 0) columns[p][index.get(w.ts)] = w.mean;
  }
  return [times.map((t) => t / 1000), ...columns];
}

/** The limit lines of `pollutants` present in `limits` (a Map pollutant -> {max, min, source}): [{ pollutant, bound, value, source }]. */
function limitLines(pollutants, limits) {
  return pollutants.flatMap((p) => {
    const limit = limits?.get(p);
    if (!limit) return [];
    return [
      ...(limit.max === undefined ? [] : [{ pollutant: p, bound: 'max', value: limit.max, source: limit.source }]),
      ...(limit.min === undefined ? [] : [{ pollutant: p, bound: 'min', value: limit.min, source: limit.source }]),
    ];
  });
}

/**
 * One chart of `pollutants` (the first on the left axis, the second on the right), with each
 * one's permitted limit as a dashed red line, or updates it. The limit's axis always reaches
 * the limit, so a reading far under it still shows how far. `bands()`, if given, returns time
 * spans to shade under the lines ([{ from, to, colour, strong }], ms): alerts' spans.
 */
export function renderChart(existing, container, title, pollutants, data, limits, bands = () => []) {
  const lines = limitLines(pollutants, limits);
  const full = [...data, ...lines.map((l) => data[0].map(() => l.value))];
  if (existing) {
    existing.setData(full);
    return existing;
  }
  const unit = (code) => POLLUTANTS[code]?.unit ?? '';
  // One scale per pollutant (not per unit): TP at 0.3 mg/L must not share an axis with TN at 10 mg/L.
  const reach = (code) => (_u, min, max) => {
    const bounds = lines.filter((l) => l.pollutant === code).map((l) => l.value);
    const lo = Math.min(min ?? Infinity, ...bounds);
    const hi = Math.max(max ?? -Infinity, ...bounds);
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
    const pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.1 || 1;
    return [Math.max(0, lo - pad), hi + pad];
  };
  const shade = (u) => {
    const { ctx, bbox } = u;
    for (const band of bands()) {
      const x0 = Math.max(bbox.left, u.valToPos(band.from / 1000, 'x', true));
      // At least 4 px: a one-sample alert still shows.
      const x1 = Math.min(bbox.left + bbox.width, Math.max(x0 + 4, u.valToPos(band.to / 1000, 'x', true)));
      if (x1 <= bbox.left || x0 >= bbox.left + bbox.width) continue;
      ctx.save();
      ctx.globalAlpha = band.strong ? 0.35 : 0.15;
      ctx.fillStyle = band.colour;
      ctx.fillRect(x0, bbox.top, x1 - x0, bbox.height);
      ctx.restore();
    }
  };
  const options = {
    title,
    hooks: { drawClear: [shade] },
    width: Math.max(320, container.clientWidth - 8),
    height: 220,
    scales: { x: { time: true }, ...Object.fromEntries(pollutants.map((p) => [p, { range: reach(p) }])) },
    // The legend names the series; values show on hover only in a live legend, which reads as dashes in a still page.
    legend: { live: false },
    series: [
      {},
      ...pollutants.map((p, i) => ({
        label: `${pollutantName(p)} (${unit(p)})`,
        scale: p,
        stroke: COLOURS[i % COLOURS.length],
        width: 2,
        spanGaps: false,
        value: (_u, v) => (v == null ? '–' : v.toFixed(2)),
      })),
      ...lines.map((l) => ({
        label: `${pollutantName(l.pollutant)} ${l.bound === 'max' ? 'limit' : 'minimum'} ${l.value}${l.source ? ` (${l.source})` : ''}`,
        scale: l.pollutant,
        stroke: LIMIT_COLOUR,
        width: 1.5,
        dash: [8, 5],
        points: { show: false },
        value: () => String(l.value),
      })),
    ],
    axes: [
      // Clock time, 24 h, as everywhere else in the pages.
      { space: 90, incrs: TIME_STEPS, values: (_u, splits) => splits.map((s) => time(s * 1000)) },
      ...pollutants.slice(0, 2).map((p, i) => ({
        scale: p,
        side: i === 0 ? 3 : 1,
        label: `${pollutantName(p)} ${unit(p)}`,
        stroke: COLOURS[i],
        grid: { show: i === 0 },
      })),
    ],
  };
  return new uPlot(options, full, container);
}

/** Limits of one outfall from GET /api/v1/limits?outfall= as a Map pollutant -> limit. */
export const limitMap = (limits) => new Map(limits.map((l) => [l.pollutant, l]));
