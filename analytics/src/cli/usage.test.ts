import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));

/** Each CLI in this folder and the options its usage must name. */
const CLIS: Record<string, readonly string[]> = {
  'detect.js': ['--csv', '--fit', '--detectors', '--min-samples', '--evidence'],
  'score.js': ['--events', '--labels', '--csv', '--fit', '--step-ms', '--json'],
  'suite.js': ['--seeds', '--outfalls', '--days', '--detectors'],
  'trace.js': ['--station', '--outfalls', '--start', '--end', '--pollutant', '--velocity', '--min-lag', '--max-lag', '--utc-offset'],
  'gecco.js': ['--input', '--out-dir'],
};

describe.each(Object.entries(CLIS))('the %s CLI', (file, options) => {
  const name = file.replace(/\.js$/, '');

  it('prints its usage, naming every option, on --help and exits 0', async () => {
    const { stdout } = await run(process.execPath, [join(here, file), '--help']);
    expect(stdout).toMatch(new RegExp(`^usage: ${name} `));
    for (const option of options) expect(stdout).toContain(option);
  });

  it('exits 2 with its usage on an option it does not know', async () => {
    await expect(run(process.execPath, [join(here, file), '--no-such-option'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining(`usage: ${name} `) });
  });
});
