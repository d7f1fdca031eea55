import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';
import { startServerProcess } from './server-process.js';
import { makeTestCertificates } from './tls-certificates.js';

const run = promisify(execFile);

export interface MosquittoServer {
  host: string;
  port: number;
  /** mqtt:// or, with `tls`, mqtts://. */
  url: string;
  /** The CA certificate (PEM) clients must trust, with `tls`. */
  ca?: Buffer;
  stop(): Promise<void>;
}

export interface StartMosquittoParameters {
  /** Username -> password. Without it, anonymous clients are allowed. */
  users?: Record<string, string>;
  /** Serve MQTT over TLS (mqtts://) with a throw-away CA made here. */
  tls?: boolean;
  /** Extra mosquitto.conf lines (ACLs, limits). */
  extraConfig?: string[];
}

/** Starts Debian's Mosquitto with one listener on 127.0.0.1 and a free port. */
export async function startMosquitto(params: StartMosquittoParameters = {}): Promise<MosquittoServer> {
  const host = '127.0.0.1';
  const dir = await mkdtemp(join(tmpdir(), 'qingliu-mosquitto-'));
  const port = await freePort();
  const configPath = join(dir, 'mosquitto.conf');
  const lines = [
    `listener ${port} ${host}`,
    'persistence false',
    // Never drop QoS 1 messages for a subscriber that falls behind (TOOLCHAIN.md).
    'max_queued_messages 0',
    // Run as whoever runs the tests: started as root, mosquitto would switch to its own user and
    // could not read the password and certificate files in our private temp folder.
    `user ${userInfo().username}`,
  ];
  if (params.users) {
    const passwordFile = join(dir, 'passwords');
    await writeFile(passwordFile, '', { mode: 0o600 });
    for (const [user, password] of Object.entries(params.users)) {
      await run(existsSync('/usr/bin/mosquitto_passwd') ? '/usr/bin/mosquitto_passwd' : 'mosquitto_passwd', ['-b', passwordFile, user, password]);
    }
    lines.push('allow_anonymous false', `password_file ${passwordFile}`);
  } else {
    lines.push('allow_anonymous true');
  }
  let ca: Buffer | undefined;
  if (params.tls) {
    const certificates = await makeTestCertificates(dir);
    lines.push(`cafile ${certificates.caFile}`, `certfile ${certificates.certFile}`, `keyfile ${certificates.keyFile}`);
    ca = await readFile(certificates.caFile);
  }
  await writeFile(configPath, [...lines, ...(params.extraConfig ?? []), ''].join('\n'));
  const server = await startServerProcess({
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
  return {
    host,
    port,
    url: `${params.tls ? 'mqtts' : 'mqtt'}://${host}:${port}`,
    ...(ca ? { ca } : {}),
    async stop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
