import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { CloudConfig } from '../config.js';

/** The ingester's entry point, compiled. */
export const INGESTER_MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'main.js');

export interface IngesterProcess {
  child: ChildProcess;
  /** The HTTP API's base URL, once ready. */
  http: Promise<string>;
}

/** Writes a cloud config file (YAML) for a test. */
export async function writeCloudConfig(path: string, config: Partial<Record<keyof CloudConfig, unknown>>): Promise<string> {
  await writeFile(path, stringify(config));
  return path;
}

/**
 * Starts `node cloud/dist/main.js --config <path>` as a child process.
 * `http` resolves when it prints its ready line, and rejects with its output
 * if it exits first or is not ready within `readyTimeoutMs`.
 */
export function spawnIngester(configPath: string, readyTimeoutMs = 60_000): IngesterProcess {
  const child = spawn(process.execPath, [INGESTER_MAIN, '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000)));
  const http = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ingester not ready after ${readyTimeoutMs} ms:\n${output}`)), readyTimeoutMs);
    const onExit = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`ingester exited with ${code} before it was ready:\n${output}`));
    };
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((l) => l.includes('"ready":true'));
      if (line) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve((JSON.parse(line) as { http: string }).http);
      }
    });
    child.once('exit', onExit);
  });
  http.catch(() => undefined);
  return { child, http };
}

/** SIGKILL, resolved when the process is gone. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}
