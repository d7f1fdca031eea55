import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DeadLetterStore } from '../ports/dead-letter-store.js';

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
