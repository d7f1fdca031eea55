import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Sequence numbers reserved on disk at a time. */
export const SEQUENCE_BLOCK = 10_000;

/**
 * Per-device sequence numbers that only ever grow, across restarts and power
 * loss: a block is reserved on disk (written and fsynced) before any number
 * in it is handed out. A restart skips the unused rest of the block, so the
 * cloud sees a gap in seq there, never a repeat.
 */
export class SequenceAllocator {
  readonly #path: string;
  #next = 0;
  #reservedUpTo = 0;

  private constructor(path: string) {
    this.#path = path;
  }

  static async open(path: string): Promise<SequenceAllocator> {
    const allocator = new SequenceAllocator(path);
    await mkdir(dirname(path), { recursive: true });
    try {
      const reserved = Number((await readFile(path, 'utf8')).trim());
      if (Number.isSafeInteger(reserved) && reserved >= 0) allocator.#next = reserved;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    allocator.#reservedUpTo = allocator.#next;
    return allocator;
  }

  /** The next `count` sequence numbers, in order. */
  async take(count: number): Promise<number[]> {
    if (this.#next + count > this.#reservedUpTo) {
      await this.#reserve(this.#next + Math.max(count, SEQUENCE_BLOCK));
    }
    const out = Array.from({ length: count }, (_, i) => this.#next + i);
    this.#next += count;
    return out;
  }

  async #reserve(upTo: number): Promise<void> {
    const tmp = `${this.#path}.tmp`;
    const file = await open(tmp, 'w', 0o600);
    try {
      await file.writeFile(`${upTo}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, this.#path);
    this.#reservedUpTo = upTo;
  }
}
