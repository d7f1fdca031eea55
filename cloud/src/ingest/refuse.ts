import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { QingliuErrorCode } from '@qingliu/protocol';
import type { DeadLetter, DeadLetterStore } from '../ports/dead-letter-store.js';

/** Most payload bytes kept per dead letter (the size and hash always cover all of it). */
export const DEFAULT_DEAD_LETTER_PAYLOAD_BYTES = 16 * 1024;

/** A refused message as evidence: its reason, size, hash and (the start of) its payload. */
export function deadLetterOf(
  code: QingliuErrorCode,
  reason: string,
  topic: string,
  payload: Buffer,
  receivedAt: number,
  keepBytes = DEFAULT_DEAD_LETTER_PAYLOAD_BYTES,
): DeadLetter {
  return {
    code,
    reason,
    topic,
    receivedAt,
    size: payload.length,
    sha256: createHash('sha256').update(payload).digest('hex'),
    payload: payload.subarray(0, keepBytes).toString('utf8'),
    truncated: payload.length > keepBytes,
  };
}

/** Refuses a message: counts and logs it, keeps it as a dead letter; true, as it is acknowledged (a bad message never becomes good by redelivery). */
export type Refuse = (code: QingliuErrorCode, reason: string, topic: string, payload: Buffer) => true;

export interface RefuseParameters {
  rejected: Partial<Record<QingliuErrorCode, number>>;
  logger: Logger;
  deadLetters: DeadLetterStore | undefined;
  now: () => number;
}

export function refuser({ rejected, logger, deadLetters, now }: RefuseParameters): Refuse {
  return (code, reason, topic, payload) => {
    rejected[code] = (rejected[code] ?? 0) + 1;
    logger.warn({ code, topic, reason }, 'batch rejected');
    deadLetters?.put(deadLetterOf(code, reason, topic, payload, now()));
    return true;
  };
}
