/* global uPlot */
// Time-series charts (uPlot, loaded as a global by the page) of downsampled windows (/api/v1/readings?every=).
import { POLLUTANTS, pollutantName } from './common.js';

const COLOURS = ['#1f6fb2', '#c2410c', '#15803d', '#7c3aed'];

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

/** One chart of `pollutants` (the first on the left axis, the second on the right), or updates it. */
export function renderChart(existing, container, title, pollutants, data) {
  if (existing) {
    existing.setData(data);
    return existing;
  }
  const unit = (code) => POLLUTANTS[code]?.unit ?? '';
  const options = {
    title,
    width: Math.max(320, container.clientWidth - 8),
    height: 220,
    scales: { x: { time: true }, ...Object.fromEntries(pollutants.map((p) => [unit(p), {}])) },
    series: [
      {},
      ...pollutants.map((p, i) => ({
        label: `${pollutantName(p)} (${unit(p)})`,
        scale: unit(p),
        stroke: COLOURS[i % COLOURS.length],
        width: 2,
        spanGaps: false,
        value: (_u, v) => (v == null ? '–' : v.toFixed(2)),
      })),
    ],
    axes: [
      { space: 90 },
      ...pollutants.slice(0, 2).map((p, i) => ({
        scale: unit(p),
        side: i === 0 ? 3 : 1,
        label: `${pollutantName(p)} ${unit(p)}`,
        stroke: COLOURS[i],
        grid: { show: i === 0 },
      })),
    ],
  };
  return new uPlot(options, data, container);
}
