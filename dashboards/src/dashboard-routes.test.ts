import { request } from 'node:http';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { dashboardRoutes } from './dashboard-routes.js';

describe('dashboardRoutes', () => {
  let app: FastifyInstance;
  let port: number;

  /** GET with the path sent as written (fetch would resolve the dot segments first). */
  const get = (path: string): Promise<{ statusCode: number; contentType: string; body: string }> =>
    new Promise((resolve, reject) => {
      request({ host: '127.0.0.1', port, path }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ statusCode: response.statusCode ?? 0, contentType: String(response.headers['content-type']), body }));
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
});
