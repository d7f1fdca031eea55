import { ROLLUP_LEVELS, backfillStatements, continuousQueryStatements, sealedUntil } from './rollup-levels.js';
import { foldPieces, planPieces } from './rollup-query.js';

const M = 60_000;
const H = 3_600_000;
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 24, 10, 7, 40);

describe('rollup query plan', () => {
  it('reads windows no rollup step divides from the raw readings, as before', () => {
    expect(planPieces(NOW - DAY, NOW, 15_000, NOW)).toBeUndefined();
    expect(planPieces(NOW - DAY, NOW, 90_000, NOW)).toBeUndefined();
  });

  it('reads the sealed middle of 1 h windows from the 1 h rollup, the cut hours from 1 m, the cut minutes and the open interval raw', () => {
    const from = Date.UTC(2026, 10, 20, 3, 17, 30);
    const to = NOW + 10 * M;
    const pieces = planPieces(from, to, H, NOW)!;
    // At 10:07:40 the 1 m buckets are final up to 10:06 (the 10:07 run, done by 10:07:30, less the minute a reading
    // may take to arrive), the 1 h ones up to 10:00 (the 10:05 run came after the 1 m run that closed 09:59).
    expect(sealedUntil(0, NOW)).toBe(Date.UTC(2026, 10, 24, 10, 6));
    expect(sealedUntil(1, NOW)).toBe(Date.UTC(2026, 10, 24, 10, 0));
    expect(sealedUntil(1, Date.UTC(2026, 10, 24, 10, 4))).toBe(Date.UTC(2026, 10, 24, 9, 0));
    expect(pieces).toEqual([
      { level: -1, fromMs: from, toMs: Date.UTC(2026, 10, 20, 3, 18) },
      { level: 0, fromMs: Date.UTC(2026, 10, 20, 3, 18), toMs: Date.UTC(2026, 10, 20, 4) },
      { level: 1, fromMs: Date.UTC(2026, 10, 20, 4), toMs: Date.UTC(2026, 10, 24, 10) },
      { level: 0, fromMs: Date.UTC(2026, 10, 24, 10), toMs: Date.UTC(2026, 10, 24, 10, 6) },
      { level: -1, fromMs: Date.UTC(2026, 10, 24, 10, 6), toMs: to },
    ]);
  });

  it('uses the 1 m rollup for 2 minute windows and never the 1 h one', () => {
    const pieces = planPieces(Date.UTC(2026, 10, 24, 4), NOW, 2 * M, NOW)!;
    expect(pieces.map((p) => p.level)).toEqual([0, -1]);
  });

  it('folds pieces into windows: mean is sum over count, min and max across pieces, at most `limit` per series', () => {
    const tags = { enterprise: 'ent-a', outfall: 'out-a', device: 'dev-a', pollutant: 'w01018' };
    const series = (values: number[][]) => ({ series: [{ tags, columns: ['time', 'sum', 'count', 'min', 'max'], values }] });
    const folded = foldPieces(
      [series([[0, 10, 2, 4, 6]]), series([[H, 30, 3, 9, 11], [2 * H, 8, 1, 8, 8]]), series([[2 * H + M, 2, 1, 2, 2]])],
      2 * H,
      5,
    );
    expect(folded).toHaveLength(1);
    expect(folded[0]!.windows).toEqual([
      { ts: 0, sum: 40, count: 5, min: 4, max: 11 },
      { ts: 2 * H, sum: 10, count: 2, min: 2, max: 8 },
    ]);
    expect(foldPieces([series([[0, 1, 1, 1, 1], [2 * H, 1, 1, 1, 1]])], 2 * H, 1)[0]!.windows).toHaveLength(1);
  });
});

describe('rollup definitions', () => {
  it('keeps 1 m buckets from the raw readings and 1 h buckets from the 1 m ones, each with the lateness it folds in', () => {
    const cqs = continuousQueryStatements('qingliu', 'reading');
    expect(cqs.map((cq) => cq.statement)).toEqual([
      'CREATE CONTINUOUS QUERY "reading_1m_cq" ON "qingliu" RESAMPLE EVERY 1m FOR 1h BEGIN SELECT sum("value") AS "sum", count("value") AS "count", min("value") AS "min", max("value") AS "max" INTO "qingliu"."rollup_1m"."reading_1m" FROM "qingliu".."reading" GROUP BY time(1m), * END',
      'CREATE CONTINUOUS QUERY "reading_1h_cq" ON "qingliu" RESAMPLE EVERY 5m FOR 3h BEGIN SELECT sum("sum") AS "sum", sum("count") AS "count", min("min") AS "min", max("max") AS "max" INTO "qingliu"."rollup_1h"."reading_1h" FROM "qingliu"."rollup_1m"."reading_1m" GROUP BY time(1h), * END',
    ]);
    expect(ROLLUP_LEVELS.map((l) => l.stepMs)).toEqual([M, H]);
  });

  it('backfills whole buckets of the devices written, finest level first', () => {
    const [oneMinute, oneHour] = backfillStatements('qingliu', 'reading', { fromMs: 90 * M + 5, toMs: 95 * M + 1, devices: ['dev-a', 'dev-b'] });
    expect(oneMinute).toContain(`WHERE time >= ${90 * M}ms AND time < ${96 * M}ms AND ("device" = 'dev-a' OR "device" = 'dev-b')`);
    expect(oneHour).toContain(`WHERE time >= ${H}ms AND time < ${2 * H}ms AND`);
  });
});
