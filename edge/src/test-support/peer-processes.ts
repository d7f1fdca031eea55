import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const PYMODBUS_SERVER = fileURLToPath(new URL('../../test-peers/pymodbus-server.py', import.meta.url));
const PYTHON = process.env['QINGLIU_PYTHON'] ?? '/usr/bin/python3';

export interface PeerProcess {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts a command and resolves once `ready(output)` is true; rejects with
 * what to install when it exits first or is not ready within `timeoutMs`.
 */
export async function startPeer(command: string, args: string[], ready: (output: string) => boolean, hint: string, timeoutMs = 10_000): Promise<PeerProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let exited = false;
  const gone = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', (error) => {
      output += `\n${error.message}`;
      exited = true;
      resolve();
    });
  });
  const peer: PeerProcess = {
    child,
    output: () => output,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await gone;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + timeoutMs;
  while (!ready(output)) {
    if (exited || Date.now() > deadline) {
      await peer.stop();
      throw new Error(`${command} ${args.join(' ')} did not start (${hint}); output:\n${output.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return peer;
}

/** The pymodbus test server (edge/test-peers/pymodbus-server.py) on TCP or on a serial line. */
export function startPyModbus(args: string[]): Promise<PeerProcess> {
  return startPeer(PYTHON, [PYMODBUS_SERVER, ...args], (out) => out.includes('ready'), 'needs the Debian package python3-pymodbus');
}

/**
 * A virtual serial line: two pseudo-terminals joined by socat. With `links`,
 * the ends are also reachable at those two paths (symlinks socat makes and
 * removes), so a line started again after a stop is found at the same paths.
 */
export async function startSerialPair(links?: [string, string]): Promise<PeerProcess & { ends: [string, string] }> {
  const end = (link: string | undefined): string => (link === undefined ? 'pty,raw,echo=0' : `pty,raw,echo=0,link=${link}`);
  const peer = await startPeer(
    'socat',
    ['-d', '-d', end(links?.[0]), end(links?.[1])],
    (out) => /starting data transfer loop/.test(out),
    'needs the Debian package socat',
  );
  const ends = [...peer.output().matchAll(/PTY is (\S+)/g)].map((m) => m[1]!);
  if (ends.length !== 2) {
    await peer.stop();
    throw new Error(`socat did not report two pseudo-terminals:\n${peer.output()}`);
  }
  return { ...peer, ends: links ?? [ends[0]!, ends[1]!] };
}
