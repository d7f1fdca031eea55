import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { QingliuError } from '@qingliu/protocol';
import { freePort } from './free-port.js';
import { startServerProcess } from './server-process.js';
import type { ServerProcess } from './server-process.js';

export interface AnvilServer {
  host: string;
  port: number;
  rpcUrl: string;
  chainId: number;
  /** Private keys of the funded accounts of anvil's default mnemonic, in order. */
  accounts: string[];
  /** The node's process id. */
  pid: number;
  /** Freezes the node (SIGSTOP): it keeps its sockets and state but answers nothing until `resume()`. */
  pause(): void;
  /** Lets a paused node run again (SIGCONT). */
  resume(): void;
  /** Stops anvil (SIGTERM) and removes its temp folder; resolves when it is gone. */
  stop(): Promise<void>;
}

export interface StartAnvilParameters {
  /** Funded accounts to create; at least 4. Default 10. */
  accounts?: number;
  /** Default 31337 (anvil's). */
  chainId?: number;
  /** Seconds between blocks; by default every transaction is mined at once. */
  blockTimeSeconds?: number;
  /** Out of the caller's process group, so a Ctrl-C reaches only the caller (server-process.ts). */
  ownProcessGroup?: boolean;
}

const PLATFORM_PACKAGE = '@foundry-rs/anvil-linux-amd64';

/** The anvil binary: $QINGLIU_ANVIL, or the one inside the platform package of `@foundry-rs/anvil`. */
export function anvilBinary(): string {
  const fromEnv = process.env.QINGLIU_ANVIL;
  if (fromEnv) return fromEnv;
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve(`${PLATFORM_PACKAGE}/package.json`)), 'bin', 'anvil');
  } catch (error) {
    throw new QingliuError('SERVER_START_FAILED', 'anvil binary not found', {
      details:
        `${PLATFORM_PACKAGE} is not installed (it comes with @foundry-rs/anvil on Linux x64; ` +
        'run `npm install` at the repo root) and QINGLIU_ANVIL is not set',
      cause: error,
    });
  }
}

/**
 * Starts anvil (a local EVM node) as a child process on 127.0.0.1 and a free
 * port, and resolves once it answers JSON-RPC. Transactions are mined at once
 * unless `blockTimeSeconds` is given.
 */
export async function startAnvil(params: StartAnvilParameters = {}): Promise<AnvilServer> {
  const host = '127.0.0.1';
  const accountCount = params.accounts ?? 10;
  if (accountCount < 4) throw new RangeError(`startAnvil: accounts must be at least 4, got ${accountCount}`);
  const chainId = params.chainId ?? 31337;
  const command = anvilBinary();
  const dir = await mkdtemp(join(tmpdir(), 'qingliu-anvil-'));
  // anvil writes its accounts and private keys here once it is listening.
  const configOut = join(dir, 'anvil.json');
  const port = await freePort();
  const rpcUrl = `http://${host}:${port}`;
  const args = [
    '--host', host,
    '--port', String(port),
    '--accounts', String(accountCount),
    '--chain-id', String(chainId),
    '--config-out', configOut,
    '--quiet',
  ];
  if (params.blockTimeSeconds !== undefined) args.push('--block-time', String(params.blockTimeSeconds));

  let accounts: string[] = [];
  const readAccounts = async (): Promise<boolean> => {
    const config = JSON.parse(await readFile(configOut, 'utf8')) as { private_keys?: unknown };
    if (!Array.isArray(config.private_keys) || config.private_keys.length < accountCount) return false;
    accounts = config.private_keys.map(String);
    return true;
  };
  let server: ServerProcess;
  try {
    server = await startServerProcess({
      name: 'anvil',
      command,
      args,
      installHint: `run \`npm install\` at the repo root (${PLATFORM_PACKAGE} ships the binary)`,
      ownProcessGroup: params.ownProcessGroup ?? false,
      // Ready when it answers JSON-RPC and has written its accounts.
      ready: async () => {
        const response = await fetch(rpcUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
        });
        return response.ok && (await readAccounts());
      },
    });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  const stop = async (): Promise<void> => {
    server.child.kill('SIGCONT'); // a paused node cannot act on SIGTERM
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
  return {
    host,
    port,
    rpcUrl,
    chainId,
    accounts,
    pid: server.child.pid!,
    pause: () => void server.child.kill('SIGSTOP'),
    resume: () => void server.child.kill('SIGCONT'),
    stop,
  };
}
