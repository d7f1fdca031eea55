import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { QingliuErrorCode } from '@qingliu/protocol';
import type { DeadLetter, DeadLetterStore } from '../ports/dead-letter-store.js';

/** Most payload bytes kept per dead letter (the size and hash always cover all of it). */
export const DEFAULT_DEAD_LETTER_PAYLOAD_BYTES = 16 * 1024;

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

/**
 * Dead letters as JSON lines in `<dir>/dead-letters-<YYYY-MM-DD>.jsonl` (UTC
 * day of arrival). Appended through a buffered stream: dead letters are
 * evidence for an inspector, not readings, so they are not fsynced one by one.
 */
export async function createFileDeadLetterStore(dir: string): Promise<DeadLetterStore> {
  await mkdir(dir, { recursive: true });
  let day = '';
  let stream: WriteStream | undefined;
  const streamFor = (receivedAt: number): WriteStream => {
    const today = new Date(receivedAt).toISOString().slice(0, 10);
    if (!stream || today !== day) {
      stream?.end();
      day = today;
      stream = createWriteStream(join(dir, `dead-letters-${today}.jsonl`), { flags: 'a' });
    }
    return stream;
  };
  const drained = (): Promise<void> =>
    new Promise((resolve, reject) => {
      if (!stream) return resolve();
      stream.write('', (error) => (error ? reject(error) : resolve()));
    });
  return {
    put(letter) {
      streamFor(letter.receivedAt).write(`${JSON.stringify(letter)}\n`);
    },
    flush: drained,
    async close() {
      await drained();
      await new Promise<void>((resolve) => (stream ? stream.end(resolve) : resolve()));
      stream = undefined;
    },
  };
}
