import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { QingliuError } from '@qingliu/protocol';
import { freePort } from './free-port.js';
import { startServerProcess } from './server-process.js';
import type { ServerProcess } from './server-process.js';
import { makeTestCertificates } from './tls-certificates.js';

const run = promisify(execFile);

export interface MosquittoServer {
  host: string;
  port: number;
  /** mqtt:// or, with `tls`, mqtts://. */
  url: string;
  /** The CA certificate (PEM) clients must trust, with `tls`. */
  ca?: Buffer;
  /** The broker's process id while it runs (undefined while it is down). */
  pid(): number | undefined;
  /** Stops the broker (SIGTERM: with `persistence`, it saves sessions and queued messages first). */
  down(): Promise<void>;
  /** Starts it again on the same port, config and data. */
  up(): Promise<void>;
  /** Stops it for good and removes its folder unless `keepData`. */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

export interface StartMosquittoParameters {
  /** User name -> password (set with `mosquitto_passwd`). Without it, anonymous clients are allowed. */
  users?: Readonly<Record<string, string>>;
  /** Serve MQTT over TLS (mqtts://) with a throw-away CA made here. */
  tls?: boolean;
  /** Keep sessions of clean-session-false clients and their queued QoS 1 messages across down() and up(). */
  persistence?: boolean;
  /** Extra mosquitto.conf lines (ACLs, limits). */
  extraConfig?: string[];
  /**
   * A dynamic security plugin config (the JSON Mosquitto 2.0's plugin loads): accounts, client ids
   * and ACLs. Replaces `users`; anonymous clients are refused.
   */
  dynsec?: unknown;
}

/** Where Debian's `mosquitto` package installs the dynamic security plugin. */
const DYNSEC_PLUGIN = '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so';

/** Starts Debian's Mosquitto with one listener on 127.0.0.1 and a free port, its files in a temp folder. */
export async function startMosquitto(params: StartMosquittoParameters = {}): Promise<MosquittoServer> {
  const host = '127.0.0.1';
  const dir = await mkdtemp(join(tmpdir(), 'qingliu-mosquitto-'));
  const port = await freePort();
  const lines = [
    `listener ${port} ${host}`,
    params.persistence ? `persistence true\npersistence_location ${dir}/` : 'persistence false',
    // Never drop QoS 1 messages for a subscriber that falls behind (TOOLCHAIN.md).
    'max_queued_messages 0',
    'log_dest stderr',
    // Run as whoever runs the tests: started as root, mosquitto would switch to its own user and
    // could not read the password and certificate files in our private temp folder.
    `user ${userInfo().username}`,
  ];
  let ca: Buffer | undefined;
  try {
    if (params.dynsec !== undefined) {
      const dynsecFile = join(dir, 'dynamic-security.json');
      await writeFile(dynsecFile, JSON.stringify(params.dynsec), { mode: 0o600 });
      lines.push(`plugin ${process.env.QINGLIU_MOSQUITTO_DYNSEC ?? DYNSEC_PLUGIN}`, `plugin_opt_config_file ${dynsecFile}`, 'allow_anonymous false');
    } else if (params.users) {
      const passwordFile = join(dir, 'passwords');
      await writeFile(passwordFile, '', { mode: 0o600 });
      const passwd = process.env.QINGLIU_MOSQUITTO_PASSWD ?? (existsSync('/usr/bin/mosquitto_passwd') ? '/usr/bin/mosquitto_passwd' : 'mosquitto_passwd');
      for (const [user, password] of Object.entries(params.users)) await run(passwd, ['-b', passwordFile, user, password]);
      lines.push('allow_anonymous false', `password_file ${passwordFile}`);
    } else {
      lines.push('allow_anonymous true');
    }
    if (params.tls) {
      const certificates = await makeTestCertificates(dir);
      lines.push(`cafile ${certificates.caFile}`, `certfile ${certificates.certFile}`, `keyfile ${certificates.keyFile}`);
      ca = await readFile(certificates.caFile);
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new QingliuError('SERVER_START_FAILED', 'could not prepare mosquitto (mosquitto_passwd or openssl failed)', {
      details: 'install the Debian packages `mosquitto` and `openssl` (scripts/install.sh does)',
      cause: error,
    });
  }
  const configPath = join(dir, 'mosquitto.conf');
  await writeFile(configPath, [...lines, ...(params.extraConfig ?? []), ''].join('\n'));

  const start = (): Promise<ServerProcess> =>
    startServerProcess({
      name: 'mosquitto',
      // Debian installs it in /usr/sbin, which is not on every user's PATH.
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
  let server: ServerProcess | undefined;
  try {
    server = await start();
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    host,
    port,
    url: `${params.tls ? 'mqtts' : 'mqtt'}://${host}:${port}`,
    ...(ca ? { ca } : {}),
    pid: () => server?.child.pid,
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
