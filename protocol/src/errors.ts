/** Every failure Qingliu reports names one of these codes. */
export type QingliuErrorCode =
  | 'CONFIG_INVALID'
  | 'SCHEMA_INVALID'
  | 'SIGNATURE_INVALID'
  | 'DEVICE_UNKNOWN'
  | 'TOPIC_MISMATCH'
  | 'DUPLICATE'
  | 'PAYLOAD_TOO_LARGE'
  | 'DEVICE_UNREACHABLE'
  | 'OUTBOX_FULL'
  | 'BROKER_UNAVAILABLE'
  | 'STORE_UNAVAILABLE'
  | 'CHAIN_UNAVAILABLE'
  | 'CHAIN_REVERTED'
  | 'SERVER_START_FAILED'
  /** A request's parameter or body is bad (HTTP 400); the message names it. */
  | 'INPUT_INVALID'
  /** No or an unknown credential (HTTP 401). */
  | 'UNAUTHENTICATED'
  /** A known caller that may not do this (HTTP 403). */
  | 'FORBIDDEN'
  /** Analytics (detection, scoring, traceability): a readings CSV, labels or events file it cannot read, an option it cannot use, an outfall it has no model of. */
  | 'BAD_CSV'
  | 'BAD_LABELS'
  | 'BAD_EVENTS'
  | 'BAD_OPTION'
  | 'NOT_FITTED';

export interface QingliuErrorOptions {
  /** Whether the same call may succeed later (retry or spool) or never will (reject). */
  retryable?: boolean;
  details?: string;
  cause?: unknown;
}

/**
 * The one error type of the project: a `code` to count and branch on, a short
 * message for people, and `retryable` to choose between retrying and rejecting.
 */
export class QingliuError extends Error {
  override readonly name = 'QingliuError';
  readonly code: QingliuErrorCode;
  readonly shortMessage: string;
  readonly details: string | undefined;
  readonly retryable: boolean;

  constructor(code: QingliuErrorCode, shortMessage: string, options: QingliuErrorOptions = {}) {
    super(options.details ? `${shortMessage}\n\nDetails: ${options.details}` : shortMessage, {
      cause: options.cause,
    });
    this.code = code;
    this.shortMessage = shortMessage;
    this.details = options.details;
    this.retryable = options.retryable ?? false;
  }
}

export function isQingliuError(error: unknown, code?: QingliuErrorCode): error is QingliuError {
  return error instanceof QingliuError && (code === undefined || error.code === code);
}
