import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StatusServerParameters {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** The body of GET /status. */
  status: () => Promise<unknown>;
}

export interface StatusServer {
  url: string;
  close(): Promise<void>;
}

/** GET /health and GET /status (JSON). The full HTTP API comes with the ingester's own issue. */
export async function startStatusServer(params: StatusServerParameters): Promise<StatusServer> {
  const server = createServer((request, response) => {
    const send = (code: number, body: unknown): void => {
      response.writeHead(code, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2));
    };
    if (request.method !== 'GET') return send(405, { error: 'method not allowed' });
    if (request.url === '/health') return send(200, { ok: true });
    if (request.url === '/status') {
      params.status().then(
        (body) => send(200, body),
        (error: unknown) => send(503, { error: error instanceof Error ? error.message : String(error) }),
      );
      return;
    }
    send(404, { error: 'not found', paths: ['/health', '/status'] });
  });
  await new Promise<void>((resolve) => server.listen(params.port ?? 0, params.host ?? '127.0.0.1', resolve));
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
