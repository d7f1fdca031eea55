import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { waitFor } from './wait-for.js';

const holder = new URL('./testing/ctrl-c-holder.js', import.meta.url).pathname;

/** Runs the holder as a terminal would run a foreground job (a process group of its own), Ctrl-C's the group, and returns what it said. */
async function ctrlC(...args: string[]): Promise<{ said: string; serverPid: number; dataDir: string }> {
  const child = spawn(process.execPath, [holder, ...args], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  let said = '';
  child.stdout!.on('data', (chunk: Buffer) => (said += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await waitFor(() => said.includes('ready '), 20_000, 'influxd started');
  const [, pid, dataDir] = /ready (\d+) (\S+)/.exec(said)!;
  process.kill(-child.pid!, 'SIGINT'); // what the terminal does: the whole foreground group
  await exited;
  return { said, serverPid: Number(pid), dataDir: dataDir! };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('server processes and Ctrl-C', () => {
  it('a server in its own process group still answers after a Ctrl-C, until its owner stops it', async () => {
    const { said, serverPid } = await ctrlC('own');
    expect(said).toContain('answers after Ctrl-C: true');
    expect(alive(serverPid)).toBe(false);
  }, 30_000);

  it('a server in the caller group is gone with the Ctrl-C (why the demo asks for its own group)', async () => {
    const { said } = await ctrlC('shared');
    expect(said).toContain('answers after Ctrl-C: false');
  }, 30_000);

  it('a server in its own process group does not outlive its owner when the owner exits without stopping it', async () => {
    const { said, serverPid, dataDir } = await ctrlC('own', 'exit');
    expect(said).toContain('answers after Ctrl-C: true');
    await waitFor(() => !alive(serverPid), 5000, 'influxd killed on exit');
    await rm(dataDir, { recursive: true, force: true }); // the holder did not stop it, so its folder is left
  }, 30_000);
});
