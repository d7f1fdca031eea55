import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { EdgeConfigInput } from '../config.js';
import { EDGE_NODE_FLAGS } from '../node-flags.js';

/** The compiled agent command line. */
export const MAIN_JS = fileURLToPath(new URL('../main.js', import.meta.url));

/** One `readings queued` log line: readings durably in the outbox. */
export interface QueuedRange {
  device: string;
  firstSeq: number;
  lastSeq: number;
}

export interface AgentProcess {
  child: ChildProcess;
  /** Ranges of readings the agent reported durable, in the order it reported them. */
  queued: QueuedRange[];
  /** Every log line (parsed). */
  lines: Record<string, unknown>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

export async function writeAgentConfig(path: string, config: EdgeConfigInput): Promise<void> {
  await writeFile(path, stringify(config), { mode: 0o600 });
}

/** Runs `node <EDGE_NODE_FLAGS> edge/dist/main.js <args>` with debug logs, collecting its log lines. */
export function spawnAgent(args: string[]): AgentProcess {
  const child = spawn(process.execPath, [...EDGE_NODE_FLAGS, MAIN_JS, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'debug' },
  });
  const queued: QueuedRange[] = [];
  const lines: Record<string, unknown>[] = [];
  let partial = '';
  let errors = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString();
    const parts = text.split('\n');
    partial = parts.pop()!;
    for (const part of parts) {
      if (!part) continue;
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(part) as Record<string, unknown>;
      } catch {
        continue;
      }
      lines.push(line);
      if (line['msg'] === 'readings queued') {
        queued.push({ device: String(line['device']), firstSeq: Number(line['firstSeq']), lastSeq: Number(line['lastSeq']) });
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    errors = (errors + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, queued, lines, exited, stderr: () => errors };
}

/** Runs the command line to its end and returns its exit code, stdout and stderr. */
export function runAgentCommand(args: string[], timeoutMs = 15_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...EDGE_NODE_FLAGS, MAIN_JS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} did not end within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

