import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { QingliuError } from '@qingliu/protocol';

export interface ServerProcessParameters {
  /** Name used in error messages, e.g. 'influxd'. */
  name: string;
  command: string;
  args: string[];
  /** Resolves true once the server answers. Polled every 50 ms. */
  ready: () => Promise<boolean>;
  /** How long to wait for `ready`, in milliseconds. */
  startTimeoutMs?: number;
  /** What to tell the user when the command itself is missing. */
  installHint?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Run the server in a process group of its own: a Ctrl-C at the terminal (SIGINT to the
   * foreground group) then reaches only this process, which stops the server when it is done
   * with it (the demo settles its open period first). The server is killed when this process exits.
   */
  ownProcessGroup?: boolean;
}

export interface ServerProcess {
  readonly child: ChildProcess;
  /** The last lines the server printed, for error messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts a server as a child process and resolves when it answers. */
export async function startServerProcess(params: ServerProcessParameters): Promise<ServerProcess> {
  const { name, command, args, ready, startTimeoutMs = 15_000 } = params;
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: params.env ?? process.env,
    detached: params.ownProcessGroup ?? false,
  });
  // Out of our process group, it would outlive us: killed when we exit, whatever the reason.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  if (params.ownProcessGroup) process.once('exit', killOnExit);
  let log = '';
  const keep = (chunk: Buffer): void => {
    log = (log + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: { code: number | null; signal: string | null } | undefined;
  let spawnError: Error | undefined;
  const gone = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      process.off('exit', killOnExit);
      resolve();
    });
    child.once('error', (error) => {
      spawnError = error;
      exited ??= { code: null, signal: null };
      resolve();
    });
  });

  const server: ServerProcess = {
    child,
    output: () => log,
    async stop(graceMs = 5000) {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await gone;
      clearTimeout(timer);
    },
  };

  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (exited) {
      const hint = spawnError && params.installHint ? ` (${params.installHint})` : '';
      throw new QingliuError('SERVER_START_FAILED', `${name} exited before it was ready${hint}`, {
        details: spawnError ? spawnError.message : `exit ${JSON.stringify(exited)}; output:\n${log}`,
      });
    }
    if (await ready().catch(() => false)) return server;
    if (Date.now() > deadline) {
      await server.stop();
      throw new QingliuError('SERVER_START_FAILED', `${name} was not ready after ${startTimeoutMs} ms`, {
        details: log,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
