import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';

/** One line a child printed on stdout: parsed when it is JSON (pino logs, ready lines), else `{ text }`. */
export type LogLine = Record<string, unknown>;

/** An exit nobody asked for. */
export interface CrashRecord {
  process: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

export interface ManagedProcessParameters {
  /** Shown in the report and the crash list, e.g. `ingester-2`. */
  name: string;
  /** Arguments to `node` (flags, script, the script's arguments). */
  args: () => string[];
  env?: NodeJS.ProcessEnv;
  /** Every line of stdout and stderr is appended here. */
  logFile: string;
  /** Ready once a stdout line passes this. */
  ready: (line: LogLine) => boolean;
  /** How long to wait for the ready line, milliseconds. Default 60,000. */
  readyTimeoutMs?: number;
  /** Every stdout line, with the run number (1 for the first start). */
  onLine?: (line: LogLine, run: number) => void;
}

export interface ManagedProcess {
  readonly name: string;
  /** Starts (or starts again) and resolves on the ready line. */
  start(): Promise<void>;
  /** SIGKILL; resolves when the process is gone. Not a crash. */
  kill9(): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. Not a crash. */
  stop(graceMs?: number): Promise<void>;
  pid(): number | undefined;
  running(): boolean;
  /** How many times it was started. */
  runs(): number;
  /** The last ready line. */
  readyLine(): LogLine | undefined;
  /** Exits the suite did not cause. */
  readonly crashes: CrashRecord[];
  /** Stops the process if it runs and flushes its log file. */
  close(): Promise<void>;
}

/**
 * A node process the suite can kill -9 and start again: its output goes to
 * a log file, its JSON lines to `onLine`, and an exit the suite did not ask
 * for is recorded as a crash.
 */
export function managedProcess(params: ManagedProcessParameters): ManagedProcess {
  const crashes: CrashRecord[] = [];
  const log = createWriteStream(params.logFile, { flags: 'a' });
  let child: ChildProcess | undefined;
  let gone: Promise<void> = Promise.resolve();
  let expectedExit = false;
  let run = 0;
  let ready: LogLine | undefined;

  async function start(): Promise<void> {
    if (child) throw new Error(`${params.name} is already running`);
    run += 1;
    const thisRun = run;
    expectedExit = false;
    const proc = spawn(process.execPath, params.args(), { stdio: ['ignore', 'pipe', 'pipe'], env: params.env ?? process.env });
    child = proc;
    log.write(`--- ${new Date().toISOString()} start ${params.name} run ${thisRun} pid ${proc.pid}\n`);
    let partial = '';
    let resolveReady: (() => void) | undefined;
    proc.stdout!.on('data', (chunk: Buffer) => {
      log.write(chunk);
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop()!;
      for (const text of lines) {
        let line: LogLine = { text };
        if (text.startsWith('{')) {
          try {
            line = JSON.parse(text) as LogLine;
          } catch {
            // kept as text
          }
        }
        params.onLine?.(line, thisRun);
        if (resolveReady && params.ready(line)) {
          ready = line;
          resolveReady();
          resolveReady = undefined;
        }
      }
    });
    proc.stderr!.on('data', (chunk: Buffer) => log.write(chunk));
    gone = new Promise<void>((resolve) => {
      proc.once('exit', (code, signal) => {
        log.write(`--- ${new Date().toISOString()} ${params.name} run ${thisRun} exited code ${code} signal ${signal}\n`);
        if (!expectedExit) crashes.push({ process: params.name, code, signal, at: Date.now() });
        if (child === proc) child = undefined;
        resolve();
      });
    });
    const timeoutMs = params.readyTimeoutMs ?? 60_000;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${params.name} not ready after ${timeoutMs} ms (log: ${params.logFile})`)), timeoutMs);
      resolveReady = () => {
        clearTimeout(timer);
        resolve();
      };
      void gone.then(() => {
        clearTimeout(timer);
        reject(new Error(`${params.name} exited before it was ready (log: ${params.logFile})`));
      });
    });
  }

  async function signal(sig: NodeJS.Signals, graceMs: number): Promise<void> {
    const proc = child;
    if (!proc) return;
    expectedExit = true;
    proc.kill(sig);
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }

  return {
    name: params.name,
    start,
    kill9: () => signal('SIGKILL', 0),
    stop: (graceMs = 15_000) => signal('SIGTERM', graceMs),
    pid: () => child?.pid,
    running: () => child !== undefined,
    runs: () => run,
    readyLine: () => ready,
    crashes,
    async close() {
      await signal('SIGKILL', 0);
      await new Promise<void>((resolve) => log.end(resolve));
    },
  };
}
