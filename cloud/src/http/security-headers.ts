import type { FastifyInstance } from 'fastify';

/**
 * Headers on every answer of the API (JSON, metrics, the event stream, errors and 404s). The API
 * serves data, never a page: nothing it answers may run, load or frame anything. The dashboards
 * set their own policy on the pages they serve (@qingliu/dashboards, dashboard-routes.ts).
 */
export const API_SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  /** frame-ancestors for browsers that predate it. */
  'x-frame-options': 'DENY',
} as const;

/**
 * Puts `API_SECURITY_HEADERS` on every answer of `app`. Register it before any other hook, so
 * that a request refused by one (401, 403) carries them too. A route that hijacks its reply
 * writes `reply.getHeaders()` with its own.
 */
export function registerApiSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', async (_request, reply) => {
    void reply.headers(API_SECURITY_HEADERS);
  });
}
