import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { inject, syntheticOutfall } from '../series/synthetic-series.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));

describe('detection CLIs', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qingliu-detect-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('detect.js finds injected events in a CSV and score.js scores them against the labels', async () => {
    const clean = syntheticOutfall({ outfall: 'ent-a-dw001', seed: 5, samples: 3000 });
    let s = inject(clean, { kind: 'dilution', factor: 3 }, 2400, 20);
    s = inject(s, { kind: 'ph-excursion', value: 3 }, 2700, 5);
    const names = ['flow', 'cod', 'nh3n', 'ph', 'tp'];
    const rows = s.ts.map((t, i) => [new Date(t).toISOString(), s.outfall, ...names.map((n) => s.channels[n]![i]!.toFixed(4))].join(','));
    await writeFile(join(dir, 'readings.csv'), `ts,outfall,${names.join(',')}\n${rows.join('\n')}\n`);
    const iso = (i: number): string => new Date(s.ts[i]!).toISOString();
    await writeFile(join(dir, 'labels.csv'), `outfall,kind,start,end\nent-a-dw001,dilution,${iso(2400)},${iso(2420)}\nent-a-dw001,ph-excursion,${iso(2700)},${iso(2705)}\n`);

    const { stdout } = await run(process.execPath, [join(here, 'detect.js'), '--csv', join(dir, 'readings.csv'), '--fit', '0.7']);
    const events = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    // The residual rules want two flagged samples (one sample of delay); the pH limit is a rule on one.
    expect(events.map((e) => [e['kind'], e['start']])).toEqual(expect.arrayContaining([['dilution', iso(2401)], ['ph-out-of-range', iso(2700)]]));
    expect(Object.keys(events[0]!)).toEqual(['outfall', 'start', 'end', 'kind', 'score']);
    await writeFile(join(dir, 'events.jsonl'), stdout);

    const scored = await run(process.execPath, [join(here, 'score.js'), '--events', join(dir, 'events.jsonl'), '--labels', join(dir, 'labels.csv'), '--csv', join(dir, 'readings.csv'), '--json']);
    const scores = JSON.parse(scored.stdout) as { event: { recall: number }; medianDelaySamples: number };
    expect(scores.event.recall).toBe(1);
    expect(scores.medianDelaySamples).toBeLessThanOrEqual(1);
  });

  it('exits 2 with the reason on a bad file', async () => {
    await writeFile(join(dir, 'bad.csv'), 'time,flow\n1,2\n');
    await expect(run(process.execPath, [join(here, 'detect.js'), '--csv', join(dir, 'bad.csv')])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/ts and outfall/) });
  });
});
