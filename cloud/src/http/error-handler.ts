import type { FastifyError, FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { isQingliuError } from '@qingliu/protocol';
import type { QingliuErrorCode } from '@qingliu/protocol';

/** The HTTP status of each error code a request can end in; a retryable error is a 503 with Retry-After. */
const STATUS_OF: Partial<Record<QingliuErrorCode, number>> = {
  INPUT_INVALID: 400,
  SCHEMA_INVALID: 400,
  BAD_OPTION: 400,
  BAD_CSV: 400,
  BAD_EVENTS: 400,
  BAD_LABELS: 400,
  NOT_FITTED: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  DEVICE_UNKNOWN: 404,
  CHAIN_REVERTED: 502,
  STORE_UNAVAILABLE: 503,
  CHAIN_UNAVAILABLE: 503,
  BROKER_UNAVAILABLE: 503,
};

/** Seconds a client is asked to wait before trying a retryable failure again. */
const RETRY_AFTER_S = 5;

/**
 * The one place a failed request becomes an answer: a QingliuError by its code (and `retryable`),
 * fastify's own (schema validation, body size) by its status code, anything else a 500 that is logged.
 * The body is `{error, code?, details?, retryable?}`.
 */
export function registerErrorHandler(app: FastifyInstance, logger?: Logger): void {
  app.setErrorHandler((error: FastifyError | Error, _request, reply) => {
    if (isQingliuError(error)) {
      const status = error.retryable ? 503 : (STATUS_OF[error.code] ?? 500);
      if (status >= 500 && !error.retryable) logger?.error({ err: error }, 'api error');
      if (error.retryable) void reply.header('retry-after', String(RETRY_AFTER_S));
      return reply.status(status).send({
        error: error.shortMessage,
        code: error.code,
        ...(error.details ? { details: error.details } : {}),
        ...(error.retryable ? { retryable: true } : {}),
      });
    }
    const fastifyError = error as FastifyError & { validation?: unknown };
    const status = fastifyError.statusCode ?? (fastifyError.validation ? 400 : 500);
    if (status >= 500) logger?.error({ err: error }, 'api error');
    return reply.status(status).send({ error: error.message, ...(fastifyError.code ? { code: fastifyError.code } : {}) });
  });
}
