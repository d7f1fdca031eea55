import { open, readFile, rename } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDir } from './fs-sync.js';

/** Ack log entries past which the log is rewritten with one line per device. */
const COMPACT_AFTER_LINES = 4096;

/**
 * The disk outbox's acknowledgements: per device, the highest seq the broker
 * acknowledged. Kept in `acks.log`, one JSON line `{"d":device,"s":seq}` per
 * ack, each written and fdatasync'd before `record` resolves; a torn last line
 * is ignored on open (that ack is lost, so its readings are sent again and the
 * cloud drops them as duplicates). Rewritten (temp file, fsync, rename, fsync
 * of the folder) when it grows long.
 */
export class AckLog {
  readonly #path: string;
  readonly #acked: Map<string, number>;
  #handle: FileHandle;
  #lines: number;
  #chain: Promise<void> = Promise.resolve();

  private constructor(path: string, acked: Map<string, number>, handle: FileHandle, lines: number) {
    this.#path = path;
    this.#acked = acked;
    this.#handle = handle;
    this.#lines = lines;
  }

  static async open(dir: string): Promise<AckLog> {
    const path = join(dir, 'acks.log');
    const acked = new Map<string, number>();
    let lines = 0;
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const { d, s } = JSON.parse(line) as { d: unknown; s: unknown };
        if (typeof d === 'string' && typeof s === 'number' && s > (acked.get(d) ?? -1)) acked.set(d, s);
        lines += 1;
      } catch {
        // A torn last line: that ack never completed.
      }
    }
    const handle = await open(path, 'a');
    if (!text) await syncDir(dir);
    return new AckLog(path, acked, handle, lines);
  }

  /** Highest acknowledged seq of the device, or -1. */
  through(device: string): number {
    return this.#acked.get(device) ?? -1;
  }

  /** Writes the ack durably (fdatasync) and then remembers it. */
  record(device: string, seq: number): Promise<void> {
    const next = this.#chain.then(async () => {
      await this.#handle.write(`${JSON.stringify({ d: device, s: seq })}\n`);
      await this.#handle.datasync();
      if (seq > this.through(device)) this.#acked.set(device, seq);
      this.#lines += 1;
      if (this.#lines > COMPACT_AFTER_LINES) await this.#compact();
    });
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async #compact(): Promise<void> {
    const tmp = `${this.#path}.tmp`;
    const file = await open(tmp, 'w');
    try {
      await file.writeFile([...this.#acked].map(([d, s]) => `${JSON.stringify({ d, s })}\n`).join(''));
      await file.sync();
    } finally {
      await file.close();
    }
    await this.#handle.close();
    await rename(tmp, this.#path);
    await syncDir(join(this.#path, '..'));
    this.#handle = await open(this.#path, 'a');
    this.#lines = this.#acked.size;
  }

  async close(): Promise<void> {
    await this.#chain;
    await this.#handle.close();
  }
}
