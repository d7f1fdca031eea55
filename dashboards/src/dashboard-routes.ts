import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

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

/**
 * The pages' Content-Security-Policy:
 * - scripts and style sheets are files of this server only: no inline script, no eval, no other
 *   origin. `require-trusted-types-for 'script'` keeps the pages building their DOM from text
 *   nodes: assigning markup to innerHTML throws in the browsers that enforce it.
 * - style attributes are allowed (`style-src-attr`): the pages size and colour bars with them;
 *   CSS cannot run script.
 * - connect-src: the pages fetch this server's API and call the chain's JSON-RPC, at the URL this
 *   server configures or at one the user sets in the browser (kept there, never sent here), so
 *   any http(s) origin. A server-built list could not follow the user's choice, and a page that
 *   could only reach the server's node would have to trust the server for the chain. What an
 *   open connect-src could leak needs a script to run first, which script-src closes.
 * - nothing may frame the pages (clickjacking the trust settings), and the token in the URL's
 *   fragment is never sent as a referrer anyway; no-referrer keeps paths and queries in too.
 */
export const PAGE_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "style-src-attr 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self' http: https:",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
].join('; ');

/** Headers on everything under /dashboard/: the pages, their scripts, config.json, 404s. */
export const PAGE_SECURITY_HEADERS = {
  'content-security-policy': PAGE_CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  /** frame-ancestors for browsers that predate it. */
  'x-frame-options': 'DENY',
} as const;

const secured = (reply: FastifyReply): FastifyReply => reply.headers(PAGE_SECURITY_HEADERS);

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
 * read the API of the same server (/status, /api/v1/readings, /api/v1/proofs). Everything
 * served here carries `PAGE_SECURITY_HEADERS`.
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
  app.get('/dashboard', async (_request, reply) => secured(reply).redirect('/dashboard/'));
  app.get('/dashboard/config.json', async (_request, reply) => secured(reply).send(config));
  app.get<{ Params: { '*': string } }>('/dashboard/*', async (request, reply) => {
    secured(reply);
    const path = request.params['*'] === '' ? 'index.html' : request.params['*'];
    const file = files.get(path);
    if (!file) return reply.status(404).send({ error: `no dashboard file ${path}` });
    void reply.header('content-type', CONTENT_TYPES[extname(file)] ?? 'application/octet-stream');
    void reply.header('cache-control', 'no-cache');
    return reply.send(await readFile(file));
  });
}
