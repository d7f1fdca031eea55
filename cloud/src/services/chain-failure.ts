import { QingliuError, isQingliuError } from '@qingliu/protocol';

/**
 * A chain call that failed, said in the service's words: retryable (the node is down) with
 * "try again", otherwise with the chain's own reason; anything that is not a QingliuError is a
 * revert nothing else explains.
 */
export function chainFailure(error: unknown, what: string): QingliuError {
  if (isQingliuError(error)) {
    const message = error.retryable ? `${what}: the chain is unavailable; try again` : `${what}: ${error.shortMessage}`;
    return new QingliuError(error.code, message, { retryable: error.retryable, ...(error.details ? { details: error.details } : {}), cause: error });
  }
  return new QingliuError('CHAIN_REVERTED', `${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
