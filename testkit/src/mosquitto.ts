import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { startServerProcess } from './server-process.js';

export interface MosquittoServer {
  host: string;
  port: number;
  url: string;
  stop(): Promise<void>;
}

export interface StartMosquittoParameters {
  /** Extra mosquitto.conf lines (auth, ACLs). Anonymous access is allowed by default. */
  extraConfig?: string[];
}

/** Starts Debian's Mosquitto with one listener on 127.0.0.1 and a free port. */
export async function startMosquitto(params: StartMosquittoParameters = {}): Promise<MosquittoServer> {
  const host = '127.0.0.1';
  const dir = await mkdtemp(join(tmpdir(), 'qingliu-mosquitto-'));
  const port = await freePort();
  const configPath = join(dir, 'mosquitto.conf');
  await writeFile(
    configPath,
    [
      `listener ${port} ${host}`,
      'persistence false',
      // Never drop QoS 1 messages for a subscriber that falls behind (TOOLCHAIN.md).
      'max_queued_messages 0',
      ...(params.extraConfig ?? ['allow_anonymous true']),
      '',
    ].join('\n'),
  );
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
    url: `mqtt://${host}:${port}`,
    async stop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
