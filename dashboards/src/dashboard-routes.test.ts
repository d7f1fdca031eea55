import { request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { readFile, readdir } from 'node:fs/promises';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { dashboardRoutes } from './dashboard-routes.js';

describe('dashboardRoutes', () => {
  let app: FastifyInstance;
  let port: number;

  /** GET with the path sent as written (fetch would resolve the dot segments first). */
  const get = (path: string): Promise<{ statusCode: number; contentType: string; body: string; headers: IncomingHttpHeaders }> =>
    new Promise((resolve, reject) => {
      request({ host: '127.0.0.1', port, path }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ statusCode: response.statusCode ?? 0, contentType: String(response.headers['content-type']), body, headers: response.headers }));
      })
        .on('error', reject)
        .end();
    });

  beforeAll(async () => {
    app = Fastify();
    await dashboardRoutes(app, { rpcUrl: 'http://127.0.0.1:8545', contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
  });

  afterAll(() => app.close());

  it('serves the pages, uPlot, ethers and the protocol modules with their content types', async () => {
    for (const [path, type] of [
      ['/dashboard/', 'text/html'],
      ['/dashboard/enterprise.html', 'text/html'],
      ['/dashboard/bureau.js', 'text/javascript'],
      ['/dashboard/public.html', 'text/html'],
      ['/dashboard/public.js', 'text/javascript'],
      ['/dashboard/vendor/uPlot.iife.min.js', 'text/javascript'],
      ['/dashboard/vendor/uPlot.min.css', 'text/css'],
      ['/dashboard/vendor/ethers.min.js', 'text/javascript'],
      ['/dashboard/vendor/canonical.js', 'text/javascript'],
    ] as const) {
      const response = await get(path);
      expect([path, response.statusCode]).toEqual([path, 200]);
      expect(response.contentType).toContain(type);
    }
  });

  it('hands the pages the chain to verify against, with defaults', async () => {
    const response = await get('/dashboard/config.json');
    expect(JSON.parse(response.body)).toEqual({
      rpcUrl: 'http://127.0.0.1:8545',
      contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
      blacklist: null,
      alertRegistry: null,
      fromBlock: 0,
      refreshMs: 5000,
    });
  });

  it('serves nothing outside its list of files', async () => {
    for (const path of ['/dashboard/../package.json', '/dashboard/%2e%2e/package.json', '/dashboard/vendor/../../src/index.ts', '/dashboard/nope.html']) {
      expect([path, (await get(path)).statusCode]).toEqual([path, 404]);
    }
  });

  it('serves everything with a policy that lets the pages run only their own scripts, reach a JSON-RPC node, and be framed by no one', async () => {
    for (const path of ['/dashboard/', '/dashboard/enterprise.html', '/dashboard/bureau.js', '/dashboard/config.json', '/dashboard/vendor/ethers.min.js', '/dashboard/nope.html']) {
      const { headers } = await get(path);
      const csp = new Map(String(headers['content-security-policy']).split(/;\s*/).map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
      expect({ path, csp: Object.fromEntries(csp) }).toEqual({
        path,
        csp: {
          'default-src': "'none'",
          'script-src': "'self'",
          'style-src': "'self'",
          'style-src-attr': "'unsafe-inline'",
          'img-src': "'self' data:",
          'connect-src': "'self' http: https:",
          'form-action': "'self'",
          'base-uri': "'none'",
          'frame-ancestors': "'none'",
          'require-trusted-types-for': "'script'",
        },
      });
      expect({ path, nosniff: headers['x-content-type-options'], referrer: headers['referrer-policy'], frame: headers['x-frame-options'] }).toEqual({
        path,
        nosniff: 'nosniff',
        referrer: 'no-referrer',
        frame: 'DENY',
      });
    }
    // connect-src lets the pages reach the configured node and one a user sets in the browser, on any http(s) origin.
    expect(JSON.parse((await get('/dashboard/config.json')).body).rpcUrl).toMatch(/^http:/);
  });

  it('has pages the policy lets run: no inline script or handler, every script and style sheet a file of this server', async () => {
    const dir = new URL('../public/', import.meta.url);
    for (const name of (await readdir(dir)).filter((n) => n.endsWith('.html'))) {
      const html = await readFile(new URL(name, dir), 'utf8');
      expect({ name, inline: html.match(/<script(?![^>]*\bsrc=)[^>]*>|<style\b|\son[a-z]+=|javascript:/gi) }).toEqual({ name, inline: null });
      for (const [, src] of html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"/g)) {
        expect({ name, src, sameOrigin: src === 'data:,' || !/^[a-z]+:|^\/\//i.test(src!) }).toEqual({ name, src, sameOrigin: true });
      }
    }
  });
});
