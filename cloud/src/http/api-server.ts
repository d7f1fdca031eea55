import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { PollutantCode } from '@qingliu/protocol';
import type { ReadingStore } from '../ports/reading-store.js';
import type { DeviceRegistry } from '../registry/device-registry.js';
import { createMetricsRegistry } from './metrics.js';
import type { MetricsSources } from './metrics.js';
import { loadsQuerySchema, openApiDocument, proofParamsSchema, proofQuerySchema, readingsQuerySchema } from './openapi.js';
import type { ProofService } from '../proofs/proof-service.js';
import { isQingliuError } from '@qingliu/protocol';
import { dashboardRoutes } from '@qingliu/dashboards';
import type { DashboardRoutesOptions } from '@qingliu/dashboards';
import type { LedgerEventFeed } from '../ports/ledger-events.js';
import type { AgentStatusSource } from '../ports/agent-status.js';
import type { PermitLimit } from '../registry/permit-limits.js';
import { chartInterval } from './chart-interval.js';
import { eventStreamRoutes } from './event-stream-routes.js';
import { alertRoutes } from './alert-routes.js';
import { verdictRoutes } from './verdict-routes.js';
import type { VerdictRoutesParameters } from './verdict-routes.js';
import { recordRoutes } from './record-routes.js';
import type { RecordRoutesParameters } from './record-routes.js';
import type { AlertStore } from '../ports/alert-store.js';
import { outfallRoutes } from './outfall-routes.js';
import { createOutfallStatusService } from '../services/outfall-status.js';
import { createLoadService } from '../services/load-windows.js';
import { traceabilityRoutes } from './traceability-routes.js';
import { registerApiRoles, requireRole, scopeToCaller } from './roles.js';
import { checkRange, checkWindowCount, parseEvery, parseTime } from './query-params.js';
import { registerErrorHandler } from './error-handler.js';
import { registerApiSecurityHeaders } from './security-headers.js';
import type { ApiToken } from './roles.js';

export interface ApiServerParameters {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  store: ReadingStore;
  registry: DeviceRegistry;
  metrics: MetricsSources;
  /** The body of GET /status. */
  status: () => Promise<unknown>;
  /** Serves GET /api/v1/proofs/:device/:seq?ts= when given (a process that settles). */
  proofs?: ProofService;
  /** Serves the dashboards under /dashboard/ when given (the chain the pages verify against). */
  dashboards?: DashboardRoutesOptions;
  /** Bearer tokens of the bureau and the enterprises (roles.ts); without any, every caller is public. */
  tokens?: readonly ApiToken[];
  /** Permitted concentration limits: drawn on the charts, and an outfall breaking one is in alarm. */
  limits?: readonly PermitLimit[];
  /** The edge agents' status reports (online, offline) for GET /api/v1/outfalls. */
  agentStatus?: AgentStatusSource;
  /** EmissionLedger's events, streamed by GET /api/v1/events. */
  ledgerEvents?: LedgerEventFeed;
  /** Detected alerts, for GET /api/v1/alerts. */
  alerts?: AlertStore | undefined;
  /** The bureau's verdicts on alerts: POST /api/v1/alerts/:id/verdict (verdict-routes.ts). */
  verdicts?: Omit<VerdictRoutesParameters, 'logger'> | undefined;
  /** Enterprises' records and credit scores from the chain: GET /api/v1/records, POST /api/v1/enterprises/:id/blacklist (record-routes.ts). */
  records?: Omit<RecordRoutesParameters, 'registry' | 'logger'> | undefined;
  logger?: Logger;
}

export interface ApiServer {
  url: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

export { MAX_LOAD_READINGS } from '../services/load-windows.js';

interface RangeQuery {
  enterprise?: string;
  outfall?: string;
  device?: string;
  pollutant?: PollutantCode;
  from: string;
  to: string;
  every?: string;
  limit?: number;
  /** With every: `mean` returns the mean per window only (what a chart draws; cheaper for InfluxDB). */
  fields?: 'all' | 'mean';
  /** With every=auto: most points per series (a chart's width in pixels). */
  points?: number;
}

const json = (_key: string, value: unknown): unknown => (typeof value === 'bigint' ? value.toString() : value);

/** The cloud's HTTP API (fastify): readings, loads, status, health, Prometheus metrics, OpenAPI. */
export async function startApiServer(params: ApiServerParameters): Promise<ApiServer> {
  const app = Fastify({ logger: false });
  const metrics = createMetricsRegistry(params.metrics);
  app.setReplySerializer((payload) => JSON.stringify(payload, json));
  registerErrorHandler(app, params.logger);
  const loadService = createLoadService({ store: params.store, registry: params.registry });

  // First: every answer carries them, a refusal by the role check too.
  registerApiSecurityHeaders(app);
  // Who may call what: every /api/v1 route declares its roles (roles.ts), or registering it throws.
  registerApiRoles(app, { tokens: params.tokens ?? [], registry: params.registry });

  app.get('/health', async () => ({ ok: true }));
  app.get('/status', async () => params.status());
  app.get('/metrics', async (_request, reply) => {
    void reply.header('content-type', metrics.contentType);
    return metrics.metrics();
  });
  app.get('/api/v1/openapi.json', requireRole('bureau', 'enterprise', 'public'), async () => openApiDocument);

  app.get<{ Querystring: RangeQuery }>('/api/v1/readings', { ...requireRole('bureau', 'enterprise'), schema: { querystring: readingsQuerySchema } }, async (request) => {
    const q = scopeToCaller(request, request.query);
    const range = {
      enterprise: q.enterprise,
      outfall: q.outfall,
      device: q.device,
      pollutant: q.pollutant,
      fromMs: parseTime('from', q.from),
      toMs: parseTime('to', q.to),
      limit: q.limit ?? 10_000,
    };
    checkRange(range.fromMs, range.toMs);
    if (q.every) {
      // `auto`: the round window that keeps each series at or under 1,000 points (chart-interval.ts).
      const everyMs = q.every === 'auto' ? chartInterval(range.toMs - range.fromMs, q.points) : parseEvery(q.every);
      checkWindowCount(range.fromMs, range.toMs, everyMs);
      if (q.fields === 'mean') return { everyMs, windows: await params.store.queryMeans({ ...range, everyMs }) };
      return { everyMs, windows: await params.store.queryWindows({ ...range, everyMs }) };
    }
    return { readings: await params.store.queryReadings(range) };
  });

  app.get<{ Querystring: RangeQuery & { every: string } }>('/api/v1/loads', { ...requireRole('bureau', 'enterprise'), schema: { querystring: loadsQuerySchema } }, async (request) => {
    const q = scopeToCaller(request, request.query);
    const fromMs = parseTime('from', q.from);
    const toMs = parseTime('to', q.to);
    const everyMs = parseEvery(q.every);
    checkRange(fromMs, toMs);
    checkWindowCount(fromMs, toMs, everyMs);
    const loads = await loadService.loadWindows({ enterprise: q.enterprise, outfall: q.outfall, fromMs, toMs, everyMs });
    return { loads };
  });

  app.get<{ Params: { device: string; seq: number }; Querystring: { ts: string } }>(
    '/api/v1/proofs/:device/:seq',
    { ...requireRole('bureau', 'enterprise'), schema: { params: proofParamsSchema, querystring: proofQuerySchema } },
    async (request, reply) => {
      scopeToCaller(request, { device: request.params.device });
      if (!params.proofs) return reply.status(404).send({ error: 'this process does not settle, so it serves no proofs' });
      try {
        return await params.proofs.prove(request.params.device, request.params.seq, parseTime('ts', request.query.ts));
      } catch (error) {
        if (isQingliuError(error, 'DEVICE_UNKNOWN')) return reply.status(404).send({ error: error.message });
        if (isQingliuError(error, 'CHAIN_UNAVAILABLE')) return reply.status(409).send({ error: error.message });
        throw error;
      }
    },
  );

  await outfallRoutes(app, {
    registry: params.registry,
    limits: params.limits ?? [],
    status: createOutfallStatusService({ store: params.store, registry: params.registry, limits: params.limits ?? [], agentStatus: params.agentStatus }),
  });
  await eventStreamRoutes(app, { events: params.ledgerEvents });
  await alertRoutes(app, { alerts: params.alerts });
  await verdictRoutes(app, { ...params.verdicts, logger: params.logger });
  await recordRoutes(app, { ...params.records, registry: params.registry, logger: params.logger });
  await traceabilityRoutes(app, { store: params.store, registry: params.registry });
  if (params.dashboards) await dashboardRoutes(app, params.dashboards);

  await app.listen({ host: params.host ?? '127.0.0.1', port: params.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://${params.host ?? '127.0.0.1'}:${port}`,
    app,
    close: () => app.close(),
  };
}
