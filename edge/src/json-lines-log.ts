import { open, readFile, rename } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { syncDir } from './fs-sync.js';

/**
 * An append-only file of JSON lines, each written and fdatasync'd before
 * `append` resolves, so a line that was appended survives kill -9 and power
 * loss. A line cut short by a crash was never synced, so whatever it recorded
 * never happened: `open` skips it. `rewrite` replaces the whole file with a
 * shorter one (temp file, fsync, rename, fsync of the folder) when the caller
 * judges it long. Appends and rewrites run one at a time, in call order.
 */
export class JsonLinesLog {
  readonly #path: string;
  #handle: FileHandle;
  #lines: number;
  #chain: Promise<void> = Promise.resolve();
  #closed: Promise<void> | undefined;

  private constructor(path: string, handle: FileHandle, lines: number) {
    this.#path = path;
    this.#handle = handle;
    this.#lines = lines;
  }

  /** Opens (or creates) the log and gives back every whole line, parsed, in order. */
  static async open(path: string): Promise<{ log: JsonLinesLog; entries: unknown[] }> {
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const entries: unknown[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        entries.push(JSON.parse(line));
      } catch {
        // A torn last line: never synced, so never acted on.
      }
    }
    const handle = await open(path, 'a');
    if (!text) await syncDir(dirname(path));
    return { log: new JsonLinesLog(path, handle, entries.length), entries };
  }

  /** Lines in the file, counting those appended since it was opened or rewritten. */
  get lines(): number {
    return this.#lines;
  }

  /** Writes one line durably (fdatasync). */
  append(entry: unknown): Promise<void> {
    return this.#serial(async () => {
      await this.#handle.write(`${JSON.stringify(entry)}\n`);
      await this.#handle.datasync();
      this.#lines += 1;
    });
  }

  /** Replaces the file with these lines, durably. */
  rewrite(entries: readonly unknown[]): Promise<void> {
    return this.#serial(async () => {
      const tmp = `${this.#path}.tmp`;
      const file = await open(tmp, 'w');
      try {
        await file.writeFile(entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
        await file.sync();
      } finally {
        await file.close();
      }
      await this.#handle.close();
      await rename(tmp, this.#path);
      await syncDir(dirname(this.#path));
      this.#handle = await open(this.#path, 'a');
      this.#lines = entries.length;
    });
  }

  /** Waits for what is being written, then closes the file (again: a no-op). */
  close(): Promise<void> {
    this.#closed ??= this.#chain.then(() => this.#handle.close());
    return this.#closed;
  }

  #serial(work: () => Promise<void>): Promise<void> {
    const next = this.#chain.then(work);
    this.#chain = next.catch(() => undefined);
    return next;
  }
}
