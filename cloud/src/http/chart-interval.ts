/** Most points per series a chart asks for: a chart is ~1,000 pixels wide. */
export const MAX_CHART_POINTS = 1000;

/** Window lengths a chart may be downsampled to, milliseconds: round numbers a person reads at a glance. */
const STEPS_MS = [
  1_000, 2_000, 5_000, 10_000, 15_000, 30_000,
  60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000,
  3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
];

/**
 * The window that keeps a series over `rangeMs` at or under `maxPoints` points: the shortest
 * round step (1 s, 2 s, 5 s, ... 1 h, ... 1 d) that does, or whole days past a day.
 * 30 days at 1,000 points: 1 h (720 points); 10 minutes: 1 s (600 points).
 */
export function chartInterval(rangeMs: number, maxPoints = MAX_CHART_POINTS): number {
  if (!(rangeMs > 0) || !(maxPoints >= 1)) throw new RangeError(`chartInterval: bad range ${rangeMs} or point count ${maxPoints}`);
  const least = rangeMs / maxPoints;
  const step = STEPS_MS.find((s) => s >= least);
  return step ?? Math.ceil(least / 86_400_000) * 86_400_000;
}
