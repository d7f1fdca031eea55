import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/** What the pages need to check readings against the chain themselves. */
export interface DashboardRoutesOptions {
  /** JSON-RPC URL of the chain node, as the browser reaches it (the node must allow CORS; anvil does). */
  rpcUrl: string;
  /** Address of the EmissionLedger contract. */
  contract: string;
  /** Address of the Blacklist contract (the blacklist panels); without it the pages say there is none. */
  blacklist?: string;
  /** Address of the AlertRegistry contract (alerts' evidence hashes and verdicts); without it the pages check no alert on chain. */
  alertRegistry?: string;
  /** First block to read EmissionLedger's events from (its deployment block). Default 0. */
  fromBlock?: number;
  /** How often the pages refresh balances, charts and settlements, in milliseconds. Default 5000. */
  refreshMs?: number;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
};

const require = createRequire(import.meta.url);

/** The folder of an installed package: the nearest package.json above its entry point that carries its name. */
function packageDir(name: string): string {
  let dir = dirname(require.resolve(name));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === name) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`dashboards: cannot find the folder of package ${name}`);
    dir = parent;
  }
}

/** URL path under /dashboard/ -> file on disk. Only these files are served. */
async function servedFiles(): Promise<Map<string, string>> {
  const publicDir = fileURLToPath(new URL('../public/', import.meta.url));
  const files = new Map<string, string>();
  for (const name of await readdir(publicDir)) {
    if (CONTENT_TYPES[extname(name)]) files.set(name, join(publicDir, name));
  }
  const uplot = join(packageDir('uplot'), 'dist');
  files.set('vendor/uPlot.iife.min.js', join(uplot, 'uPlot.iife.min.js'));
  files.set('vendor/uPlot.min.css', join(uplot, 'uPlot.min.css'));
  files.set('vendor/ethers.min.js', join(packageDir('ethers'), 'dist', 'ethers.min.js'));
  // protocol's canonical JSON (what the cloud hashes) and pollutant table: plain modules that import nothing.
  const protocol = dirname(require.resolve('@qingliu/protocol'));
  files.set('vendor/canonical.js', join(protocol, 'canonical.js'));
  files.set('vendor/pollutants.js', join(protocol, 'pollutants.js'));
  for (const [path, file] of files) {
    if (!existsSync(file)) throw new Error(`dashboards: ${path} is missing (${file})`);
  }
  return files;
}

/**
 * Serves the dashboards under /dashboard/: the enterprise view (`enterprise.html`),
 * the bureau overview (`bureau.html`), their scripts, uPlot and ethers' browser
 * bundle, and `config.json` with the chain the pages verify against. The pages
 * read the API of the same server (/status, /api/v1/readings, /api/v1/proofs).
 * Throws at registration when a served file is missing.
 */
export async function dashboardRoutes(app: FastifyInstance, options: DashboardRoutesOptions): Promise<void> {
  const files = await servedFiles();
  const config = {
    rpcUrl: options.rpcUrl,
    contract: options.contract,
    blacklist: options.blacklist ?? null,
    alertRegistry: options.alertRegistry ?? null,
    fromBlock: options.fromBlock ?? 0,
    refreshMs: options.refreshMs ?? 5000,
  };
  app.get('/dashboard', async (_request, reply) => reply.redirect('/dashboard/'));
  app.get('/dashboard/config.json', async () => config);
  app.get<{ Params: { '*': string } }>('/dashboard/*', async (request, reply) => {
    const path = request.params['*'] === '' ? 'index.html' : request.params['*'];
    const file = files.get(path);
    if (!file) return reply.status(404).send({ error: `no dashboard file ${path}` });
    void reply.header('content-type', CONTENT_TYPES[extname(file)] ?? 'application/octet-stream');
    void reply.header('cache-control', 'no-cache');
    return reply.send(await readFile(file));
  });
}
