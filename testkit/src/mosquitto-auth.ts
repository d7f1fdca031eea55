import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { QingliuError } from '@qingliu/protocol';
import { freePort } from './free-port.js';
import { startServerProcess } from './server-process.js';
import type { ServerProcess } from './server-process.js';

export interface AuthMosquittoServer {
  host: string;
  port: number;
  url: string;
  /** Stops the broker (SIGTERM: it saves its sessions and queued messages to its folder). */
  down(): Promise<void>;
  /** Starts it again on the same port and data. */
  up(): Promise<void>;
  /** Stops it for good and removes its folder unless `keepData`. */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

export interface StartAuthMosquittoParameters {
  /** Accounts, user name -> password; anonymous clients are refused. */
  users: Readonly<Record<string, string>>;
}

const run = promisify(execFile);

/**
 * Debian's Mosquitto on 127.0.0.1 with user names and passwords
 * (`mosquitto_passwd`) and persistence: sessions of clean-session-false
 * clients and their queued QoS 1 messages survive `down()` and `up()`.
 */
export async function startAuthMosquitto(params: StartAuthMosquittoParameters): Promise<AuthMosquittoServer> {
  const host = '127.0.0.1';
  const dir = await mkdtemp(join(tmpdir(), 'qingliu-mosquitto-auth-'));
  const port = await freePort();
  const passwordFile = join(dir, 'passwords');
  const passwdCommand = process.env.QINGLIU_MOSQUITTO_PASSWD ?? 'mosquitto_passwd';
  try {
    await writeFile(passwordFile, '', { mode: 0o600 });
    for (const [user, password] of Object.entries(params.users)) {
      await run(passwdCommand, ['-b', passwordFile, user, password]);
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new QingliuError('SERVER_START_FAILED', 'mosquitto_passwd failed', {
      details: 'install the Debian package `mosquitto` (it ships mosquitto_passwd)',
      cause: error,
    });
  }
  const configPath = join(dir, 'mosquitto.conf');
  await writeFile(
    configPath,
    [
      `listener ${port} ${host}`,
      'allow_anonymous false',
      `password_file ${passwordFile}`,
      'persistence true',
      `persistence_location ${dir}/`,
      'max_queued_messages 0',
      'log_dest stderr',
      // As root, mosquitto would drop to the `mosquitto` user, who cannot read this private temp folder.
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      '',
    ].join('\n'),
  );
  const start = (): Promise<ServerProcess> =>
    startServerProcess({
      name: 'mosquitto',
      command: process.env.QINGLIU_MOSQUITTO ?? (existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto'),
      args: ['-c', configPath],
      installHint: 'install the Debian package `mosquitto` (scripts/install.sh does)',
      ready: () =>
        new Promise<boolean>((resolve) => {
          const socket = createConnection({ host, port }, () => {
            socket.destroy();
            resolve(true);
          });
          socket.once('error', () => resolve(false));
        }),
    });
  let server: ServerProcess | undefined = await start();
  return {
    host,
    port,
    url: `mqtt://${host}:${port}`,
    async down() {
      await server?.stop();
      server = undefined;
    },
    async up() {
      server ??= await start();
    },
    async stop(options = {}) {
      await server?.stop();
      server = undefined;
      if (!options.keepData) await rm(dir, { recursive: true, force: true });
    },
  };
}
