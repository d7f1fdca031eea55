import { createHash } from 'node:crypto';
import { QingliuError } from '@qingliu/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DeviceRegistry } from '../registry/device-registry.js';

/**
 * Who calls the HTTP API:
 * - `bureau`: the environmental bureau; reads everything.
 * - `enterprise`: one enterprise; reads its own outfalls, readings, loads, proofs and events only.
 * - `public`: no token; reads on-chain facts only (and what says how to reach them).
 */
export type ApiRole = 'bureau' | 'enterprise' | 'public';

export const API_ROLES: readonly ApiRole[] = ['bureau', 'enterprise', 'public'];

/** The caller of one request, from its `Authorization: Bearer` token. */
export interface ApiCaller {
  role: ApiRole;
  /** For `enterprise`: whose data it may read. */
  enterprise?: string;
  /** For `enterprise`: its outfalls and devices (from the enrolment registry, at request time). */
  outfalls?: ReadonlySet<string>;
  devices?: ReadonlySet<string>;
}

/** One bearer token the API accepts, as configured: the SHA-256 of the token (never the token itself). */
export interface ApiToken {
  /** Lowercase hex SHA-256 of the token's UTF-8 bytes: `hashApiToken(token)`, or `printf %s "$TOKEN" | sha256sum`. */
  sha256: string;
  role: Exclude<ApiRole, 'public'>;
  /** Required for `enterprise`. */
  enterprise?: string | undefined;
}

/** Why a request was refused: UNAUTHENTICATED (401: no token, or one the API does not know) or FORBIDDEN (403: a role that may not). */
function refusal(status: 401 | 403, message: string): QingliuError {
  return new QingliuError(status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN', message);
}

/** The value to configure for a token: lowercase hex SHA-256 of its UTF-8 bytes. */
export function hashApiToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (`requireRole`); every /api/v1 route must say. */
    roles?: readonly ApiRole[];
  }
  interface FastifyRequest {
    /** Set for every request by `registerApiRoles`. */
    caller: ApiCaller;
  }
}

/**
 * Route options that declare who may call a route. Spread them into the route's options:
 *
 *   app.get('/api/v1/x', { ...requireRole('bureau', 'enterprise'), schema }, handler)
 *
 * A caller of another role gets 403 `{"error": "...", "code": "FORBIDDEN"}` (the public: 401)
 * before its input is validated.
 */
export function requireRole(...roles: ApiRole[]): { config: { roles: readonly ApiRole[] } } {
  if (roles.length === 0) throw new TypeError('requireRole: name at least one role');
  return { config: { roles } };
}

/** A route under the API prefix with the roles it declared. */
export interface DeclaredRoute {
  method: string;
  /** As fastify writes it: `/api/v1/alerts/:id/verdict`. */
  url: string;
  roles: readonly ApiRole[];
  /** The query and path parameters its schema accepts, by name (to hold the OpenAPI document to them). */
  parameters: { query: readonly string[]; path: readonly string[] };
}

const propertyNames = (schema: unknown): string[] => {
  const properties = (schema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return properties ? Object.keys(properties) : [];
};

const DECLARED = new WeakMap<FastifyInstance, DeclaredRoute[]>();

/** The API routes registered on `app` with their roles (to hold the OpenAPI document to them). */
export function declaredRoutes(app: FastifyInstance): readonly DeclaredRoute[] {
  return DECLARED.get(app) ?? [];
}

export interface RegisterApiRolesParameters {
  tokens: readonly ApiToken[];
  registry: DeviceRegistry;
  /** Routes under this prefix must declare their roles (registration throws otherwise). Default `/api/v1/`. */
  prefix?: string;
}

/**
 * Adds the role check to a fastify instance; call it before registering routes.
 * Every request gets `request.caller` from its bearer token (none: `public`; an unknown
 * token: 401). Routes under `prefix` must declare their roles with `requireRole`, or
 * registering them throws; a caller whose role is not declared gets 401 (the public) or 403,
 * before the request's body is read or its input validated.
 */
export function registerApiRoles(app: FastifyInstance, params: RegisterApiRolesParameters): void {
  const prefix = params.prefix ?? '/api/v1/';
  const byHash = new Map<string, ApiToken>();
  for (const token of params.tokens) {
    if (!/^[0-9a-f]{64}$/.test(token.sha256)) throw new TypeError(`API token: sha256 must be 64 lowercase hex characters`);
    if (token.role === 'enterprise' && !token.enterprise) throw new TypeError('API token: an enterprise token names its enterprise');
    byHash.set(token.sha256, token);
  }

  app.decorateRequest('caller', null as unknown as ApiCaller);
  const declared: DeclaredRoute[] = [];
  DECLARED.set(app, declared);
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith(prefix)) return;
    const roles = route.config?.roles;
    if (!roles || roles.length === 0 || roles.some((r) => !API_ROLES.includes(r))) {
      throw new Error(`route ${route.method} ${route.url}: declare who may call it with requireRole(...)`);
    }
    const parameters = { query: propertyNames(route.schema?.querystring), path: propertyNames(route.schema?.params) };
    for (const method of [route.method].flat()) if (method !== 'HEAD') declared.push({ method, url: route.url, roles, parameters });
  });
  app.addHook('onRequest', async (request) => {
    try {
      request.caller = callerOf(request, byHash, params.registry);
    } catch (error) {
      // Outside the API (health, metrics, the pages) a bad token is no reason to refuse.
      if (request.url.startsWith(prefix)) throw error;
      request.caller = { role: 'public' };
    }
    // Before the body is read and the input validated: a caller who may not call the route
    // gets 401 or 403, never what its parameters should have been.
    refuseUndeclaredRole(request);
  });
}

/** Throws the 401 (the public) or 403 (another role) for a caller whose role the route did not declare. */
function refuseUndeclaredRole(request: FastifyRequest): void {
  const roles = request.routeOptions.config.roles;
  if (!roles || roles.includes(request.caller.role)) return;
  const route = request.routeOptions.url ?? request.url;
  const who = request.caller.role === 'enterprise' ? `enterprise ${request.caller.enterprise}` : request.caller.role;
  throw request.caller.role === 'public'
    ? refusal(401, `${route} needs a bearer token of: ${roles.join(', ')}`)
    : refusal(403, `${who} may not call ${route} (allowed: ${roles.join(', ')})`);
}

function callerOf(request: FastifyRequest, byHash: ReadonlyMap<string, ApiToken>, registry: DeviceRegistry): ApiCaller {
  const header = request.headers.authorization;
  if (header === undefined || header === '') return { role: 'public' };
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw refusal(401, 'Authorization: expected "Bearer <token>"');
  const token = byHash.get(hashApiToken(match[1]!));
  if (!token) throw refusal(401, 'unknown bearer token');
  if (token.role === 'bureau') return { role: 'bureau' };
  const own = registry.list().filter((d) => d.enterprise === token.enterprise);
  return {
    role: 'enterprise',
    enterprise: token.enterprise!,
    outfalls: new Set(own.map((d) => d.outfall)),
    devices: new Set(own.map((d) => d.device)),
  };
}

/** What a route reads: any of an enterprise, an outfall, a device. */
export interface DataScope {
  enterprise?: string | undefined;
  outfall?: string | undefined;
  device?: string | undefined;
}

/**
 * Narrows `filter` to what the caller may read: the bureau's is returned as is; an
 * enterprise's gets its own enterprise filled in, and asking for another enterprise, or an
 * outfall or device not its own, throws a FORBIDDEN QingliuError naming it. The public may read
 * no off-chain data at all (401). Use it in every handler that reads per-enterprise data:
 *
 *   const scope = scopeToCaller(request, request.query); // then query with scope.enterprise, ...
 */
export function scopeToCaller<T extends DataScope>(request: FastifyRequest, filter: T): T {
  const caller = request.caller;
  if (caller.role === 'bureau') return filter;
  if (caller.role === 'public') throw refusal(401, 'the public may read on-chain facts only: send a bearer token');
  const mine = caller.enterprise!;
  const refuse = (what: string): never => {
    throw refusal(403, `enterprise ${mine} may not read ${what}: it is not its own`);
  };
  if (filter.enterprise !== undefined && filter.enterprise !== mine) refuse(`the data of enterprise ${filter.enterprise}`);
  if (filter.outfall !== undefined && !caller.outfalls?.has(filter.outfall)) refuse(`outfall ${filter.outfall}`);
  if (filter.device !== undefined && !caller.devices?.has(filter.device)) refuse(`device ${filter.device}`);
  return { ...filter, enterprise: mine };
}

/** Whether the caller may read what belongs to `enterprise` (the bureau: always; the public: never). */
export function mayRead(caller: ApiCaller, enterprise: string): boolean {
  return caller.role === 'bureau' || (caller.role === 'enterprise' && caller.enterprise === enterprise);
}
