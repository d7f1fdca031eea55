import type { FastifyInstance } from 'fastify';
import type { LedgerEvent, LedgerEventFeed } from '../ports/ledger-events.js';
import type { ApiCaller } from './roles.js';
import { mayRead, requireRole } from './roles.js';

export interface EventStreamRoutesParameters {
  /** Without one, GET /api/v1/events answers 404 (this process follows no chain). */
  events?: LedgerEventFeed | undefined;
  /** Comment line sent this often to keep proxies from closing a quiet stream, milliseconds. Default 15,000. */
  heartbeatMs?: number;
}

/** GET /api/v1/events: how many recent events to start with, and which types to send. */
export const eventsQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    backlog: { type: 'integer', minimum: 0, maximum: 500, default: 20, description: 'recent events sent first' },
    types: { type: 'string', pattern: '^[A-Za-z]+(,[A-Za-z]+)*$', description: 'comma-separated event types, e.g. TopUpWarning,LoadDeducted' },
  },
} as const;

/** What a caller may see of the ledger's events: the bureau all; an enterprise its own and every anchoring; the public the anchorings. */
export function mayReceive(caller: ApiCaller, event: LedgerEvent): boolean {
  if (event.type === 'BatchSettled') return true;
  return caller.role !== 'public' && mayRead(caller, event.enterprise);
}

/**
 * GET /api/v1/events (anyone, filtered by role): EmissionLedger's events as server-sent events
 * (`text/event-stream`; `event:` is the event's type, `data:` its JSON, `id:` block-logIndex).
 * It starts with up to `?backlog=` (default 20) recent events the caller may see, then follows
 * the chain. `?types=TopUpWarning,LoadDeducted` narrows it. Browsers send the bearer token with
 * fetch() (EventSource cannot set headers), so tokens stay out of URLs and logs.
 */
export async function eventStreamRoutes(app: FastifyInstance, params: EventStreamRoutesParameters): Promise<void> {
  const heartbeatMs = params.heartbeatMs ?? 15_000;
  const open = new Set<() => void>();
  // Streams never end by themselves: end them before the server waits for its connections.
  app.addHook('preClose', async () => {
    for (const end of open) end();
  });
  app.get<{ Querystring: { backlog?: number; types?: string } }>(
    '/api/v1/events',
    {
      ...requireRole('bureau', 'enterprise', 'public'),
      schema: { querystring: eventsQuerySchema },
    },
    async (request, reply) => {
      const feed = params.events;
      if (!feed) return reply.status(404).send({ error: 'this process follows no chain, so it streams no events' });
      const caller = request.caller;
      const types = request.query.types ? new Set(request.query.types.split(',')) : undefined;
      const wanted = (event: LedgerEvent): boolean => mayReceive(caller, event) && (!types || types.has(event.type));
      const backlog = request.query.backlog ?? 20;

      reply.hijack();
      const raw = reply.raw;
      // What the hooks set (the security headers, security-headers.ts): a hijacked reply does not send them itself.
      for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) raw.setHeader(name, value);
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      const send = (event: LedgerEvent): void => {
        raw.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
      };
      raw.write(`: qingliu ledger events for ${caller.role}${caller.enterprise ? ` ${caller.enterprise}` : ''}\n\n`);
      for (const event of backlog > 0 ? feed.recent().filter(wanted).slice(-backlog) : []) send(event);
      const unsubscribe = feed.subscribe((event) => {
        if (wanted(event)) send(event);
      });
      const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), heartbeatMs);
      const stop = (): void => {
        clearInterval(heartbeat);
        unsubscribe();
        open.delete(end);
      };
      const end = (): void => {
        stop();
        raw.end();
      };
      open.add(end);
      request.raw.once('close', stop);
      raw.once('close', stop);
    },
  );
}
