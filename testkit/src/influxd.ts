import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { startServerProcess } from './server-process.js';

export interface InfluxdServer {
  host: string;
  port: number;
  url: string;
  /** The temp folder holding meta, data and wal; removed by `stop()` unless kept. */
  dataDir: string;
  /** The server's process id. */
  pid: number;
  stop(options?: { keepData?: boolean }): Promise<void>;
}

export interface StartInfluxdParameters {
  /** Reuse a data folder (to restart on the same data); a new temp folder by default. */
  dataDir?: string;
  port?: number;
  /** Out of the caller's process group, so a Ctrl-C reaches only the caller (server-process.ts). */
  ownProcessGroup?: boolean;
}

/**
 * Starts Debian's InfluxDB 1.x (`influxd`) as a child process bound to
 * 127.0.0.1 on a free port, with its data in a temp folder.
 */
export async function startInfluxd(params: StartInfluxdParameters = {}): Promise<InfluxdServer> {
  const host = '127.0.0.1';
  const dataDir = params.dataDir ?? (await mkdtemp(join(tmpdir(), 'qingliu-influxd-')));
  const port = params.port ?? (await freePort());
  const rpcPort = await freePort();
  const configPath = join(dataDir, 'influxd.conf');
  await writeFile(
    configPath,
    [
      'reporting-disabled = true',
      `bind-address = "${host}:${rpcPort}"`,
      '[meta]',
      `  dir = "${join(dataDir, 'meta')}"`,
      '[data]',
      `  dir = "${join(dataDir, 'data')}"`,
      `  wal-dir = "${join(dataDir, 'wal')}"`,
      '  query-log-enabled = false',
      '  wal-fsync-delay = "0s"',
      '[http]',
      '  enabled = true',
      `  bind-address = "${host}:${port}"`,
      '  log-enabled = false',
      '  max-body-size = 0',
      '[monitor]',
      '  store-enabled = false',
      // The reading store's rollups are kept by continuous queries (cloud/src/store/rollup-levels.ts).
      '[continuous_queries]',
      '  enabled = true',
      '  log-enabled = false',
      '  run-interval = "1s"',
      '',
    ].join('\n'),
  );
  const url = `http://${host}:${port}`;
  const server = await startServerProcess({
    name: 'influxd',
    command: process.env.QINGLIU_INFLUXD ?? 'influxd',
    args: ['-config', configPath],
    installHint: 'install the Debian package `influxdb` (scripts/install.sh does)',
    ready: async () => (await fetch(`${url}/ping`)).status === 204,
    ownProcessGroup: params.ownProcessGroup ?? false,
  });
  return {
    host,
    port,
    url,
    dataDir,
    pid: server.child.pid!,
    async stop(options = {}) {
      await server.stop();
      if (!options.keepData) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
