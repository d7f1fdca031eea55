import { isError } from 'ethers';
import type { CallExceptionError, Interface } from 'ethers';
import { QingliuError } from '@qingliu/protocol';

/** Node and undici socket errors that mean "the node is not there right now". */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** ethers error codes after which the same call may succeed later. */
const TRANSIENT_ETHERS_CODES = new Set([
  'NETWORK_ERROR',
  'TIMEOUT',
  'SERVER_ERROR',
  'NONCE_EXPIRED',
  'REPLACEMENT_UNDERPRICED',
  'TRANSACTION_REPLACED',
  'INSUFFICIENT_FUNDS',
]);

/** Custom errors after which the same settlement may succeed later. */
const RETRYABLE_REVERTS = new Set(['EnforcedPause']);

interface DecodedRevert {
  name: string;
  args: readonly unknown[];
}

/**
 * The custom error of a revert, decoded with `abi` when ethers could not
 * (a revert raised while a NonceManager estimated gas is not decoded by the contract).
 */
function decodeRevert(error: CallExceptionError, abi: Interface | undefined): DecodedRevert | undefined {
  if (error.revert) return { name: error.revert.name, args: [...error.revert.args] };
  if (!abi || !error.data) return undefined;
  const parsed = abi.parseError(error.data);
  return parsed ? { name: parsed.name, args: [...parsed.args] } : undefined;
}

/** The name of the custom error a call reverted with, e.g. `EmissionLedgerBatchAlreadySettled`, if any. */
export function revertName(error: unknown, abi?: Interface): string | undefined {
  if (!isError(error, 'CALL_EXCEPTION')) return undefined;
  return decodeRevert(error, abi)?.name;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Maps an ethers or socket error to a QingliuError. A revert becomes
 * CHAIN_REVERTED (not retryable, except a paused ledger) with the custom error,
 * decoded with `abi`, in `details`: `EmissionLedgerBatchAlreadySettled(7)`.
 * An unreachable or failing node becomes CHAIN_UNAVAILABLE (retryable).
 */
export function toChainError(error: unknown, message: string, abi?: Interface): QingliuError {
  if (error instanceof QingliuError) return error;
  if (isError(error, 'CALL_EXCEPTION')) {
    const revert = decodeRevert(error, abi);
    const details = revert
      ? `${revert.name}(${revert.args.map(String).join(', ')})`
      : (error.reason ?? error.shortMessage);
    return new QingliuError('CHAIN_REVERTED', `${message}: the transaction reverted`, {
      retryable: revert !== undefined && RETRYABLE_REVERTS.has(revert.name),
      details,
      cause: error,
    });
  }
  const code = errorCode(error) ?? errorCode((error as { cause?: unknown } | null)?.cause);
  if (code && (CONNECTION_CODES.has(code) || TRANSIENT_ETHERS_CODES.has(code))) {
    return new QingliuError('CHAIN_UNAVAILABLE', `${message}: the chain is unavailable`, {
      retryable: true,
      details: code,
      cause: error,
    });
  }
  // Anything else (bad arguments, a node answering nonsense) will not fix itself.
  return new QingliuError('CHAIN_REVERTED', `${message}: the chain call failed`, {
    details: code ?? (error instanceof Error ? error.message : String(error)),
    cause: error,
  });
}
