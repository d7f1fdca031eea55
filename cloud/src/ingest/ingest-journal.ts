import { mkdir, open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Reading, SignedBatch } from '@qingliu/protocol';
import type { EncodedReadings } from '../ports/reading-encoder.js';
import type { StoredReading } from '../ports/reading-store.js';
import { withBatch } from './with-batch.js';

/** Readings accepted together: one message's new readings (of one device) and the settlement batch they were given. */
export interface JournalEntry {
  id: number;
  batch: number;
  device: string;
  /** The readings' seqs. */
  seqs: Float64Array;
  /** The readings in the store's write form; entries read back after a crash have none until `forget` gives it. */
  encoded: EncodedReadings | undefined;
  /** The readings as objects: only in entries read back after a crash. */
  readings: StoredReading[] | undefined;
}

/** What the ingester appends: one message's new readings, encoded, in one settlement batch. */
export interface JournalAppend {
  encoded: EncodedReadings;
  seqs: Float64Array;
  /** The verified payload, as text, when every one of its readings is in this entry: journaled as it came. */
  message?: string;
  /** The readings (with their batch): serialised when there is no `message` to journal. */
  readings: () => readonly StoredReading[];
}

/** A line on disk: the readings, or the whole verified message they all came in (`message`). */
interface JournalLine {
  id: number;
  batch: number;
  readings?: Reading[];
  message?: SignedBatch;
}

export interface IngestJournalOptions {
  /** Start a new segment file past this size, bytes (64 MiB). */
  segmentBytes?: number;
}

/**
 * The ingester's write-ahead journal: a message's readings are appended here
 * (written and fdatasynced) before the message is acknowledged, and written to
 * the store from here, in big batches, behind the MQTT path. After a crash the
 * entries not yet committed are read back and written again.
 *
 * On disk: `segment-<first id>.jsonl` files of one JSON entry per line
 * (`{"id","batch","readings"}`, or `{"id","batch","message"}` when every reading
 * of a message was new: its verified payload as it came, not serialised again), and
 * `committed` holding the id of the last entry the store has (written to a
 * temp file, fsynced, renamed). A line cut short by a crash was never
 * fsynced, so its message was never acknowledged: it is skipped on reading.
 */
export class IngestJournal {
  readonly #dir: string;
  readonly #segmentBytes: number;
  #pending: JournalEntry[] = [];
  #pendingBytes = 0;
  #committed = 0;
  #nextId = 1;
  #segment: { handle: FileHandle; firstId: number; bytes: number } | undefined;
  readonly #sizes = new Map<number, number>();
  /** Uncommitted entries of each device, for deduplication. */
  readonly #byDevice = new Map<string, Set<JournalEntry>>();

  private constructor(dir: string, options: IngestJournalOptions) {
    this.#dir = dir;
    this.#segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
  }

  static async open(dir: string, options: IngestJournalOptions = {}): Promise<IngestJournal> {
    const journal = new IngestJournal(dir, options);
    await mkdir(dir, { recursive: true });
    try {
      journal.#committed = Number((await readFile(join(dir, 'committed'), 'utf8')).trim()) || 0;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    journal.#nextId = journal.#committed + 1;
    for (const name of await segmentNames(dir)) {
      const text = await readFile(join(dir, name), 'utf8');
      for (const line of text.split('\n')) {
        let entry: JournalEntry;
        try {
          entry = entryOf(JSON.parse(line) as JournalLine);
        } catch {
          continue; // empty, or cut short by a crash before its fsync
        }
        journal.#nextId = Math.max(journal.#nextId, entry.id + 1);
        if (entry.id > journal.#committed) journal.#track(entry, Buffer.byteLength(line) + 1);
      }
    }
    await journal.#dropCommittedSegments();
    return journal;
  }

  /**
   * Appends durably; resolves once the entry is on disk. Appends made while
   * a write is under way go out together in the next write, with one fsync
   * (group commit), always in id order.
   */
  append(batch: number, part: JournalAppend): Promise<JournalEntry> {
    const entry: JournalEntry = { id: this.#nextId++, batch, device: part.encoded.device, seqs: part.seqs, encoded: part.encoded, readings: undefined };
    // The payload is JSON already, and one line unless it was pretty-printed.
    const line =
      part.message !== undefined && !part.message.includes('\n')
        ? `{"id":${entry.id},"batch":${batch},"message":${part.message}}\n`
        : `${JSON.stringify({ id: entry.id, batch, readings: part.readings() })}\n`;
    return new Promise((resolve, reject) => {
      this.#queue.push({ entry, line, resolve, reject });
      this.#flush();
    });
  }

  readonly #queue: { entry: JournalEntry; line: string; resolve: (entry: JournalEntry) => void; reject: (error: unknown) => void }[] = [];
  #flushing = false;

  #flush(): void {
    if (this.#flushing) return;
    this.#flushing = true;
    void (async () => {
      while (this.#queue.length > 0) {
        const items = this.#queue.splice(0);
        try {
          const text = items.map((item) => item.line).join('');
          const bytes = Buffer.byteLength(text);
          if (!this.#segment || (this.#segment.bytes > 0 && this.#segment.bytes + bytes > this.#segmentBytes)) {
            await this.#segment?.handle.close();
            const firstId = items[0]!.entry.id;
            this.#segment = { handle: await open(join(this.#dir, `segment-${firstId}.jsonl`), 'a', 0o600), firstId, bytes: 0 };
          }
          await this.#segment.handle.write(text);
          await this.#segment.handle.datasync();
          this.#segment.bytes += bytes;
        } catch (error) {
          for (const item of items) item.reject(error);
          continue;
        }
        for (const item of items) {
          this.#track(item.entry, Buffer.byteLength(item.line));
          item.resolve(item.entry);
        }
      }
      this.#flushing = false;
    })();
  }

  /** Uncommitted entries, oldest first, up to about `maxReadings` (at least one entry). */
  peek(maxReadings: number): JournalEntry[] {
    const out: JournalEntry[] = [];
    let n = 0;
    for (const entry of this.#pending) {
      if (out.length > 0 && n + entry.seqs.length > maxReadings) break;
      out.push(entry);
      n += entry.seqs.length;
    }
    return out;
  }

  /** Marks every entry up to `throughId` as in the store. */
  async commit(throughId: number): Promise<JournalEntry[]> {
    const done: JournalEntry[] = [];
    while (this.#pending.length > 0 && this.#pending[0]!.id <= throughId) {
      const entry = this.#pending.shift()!;
      this.#pendingBytes -= this.#sizes.get(entry.id) ?? 0;
      this.#sizes.delete(entry.id);
      this.#byDevice.get(entry.device)?.delete(entry);
      done.push(entry);
    }
    this.#committed = Math.max(this.#committed, throughId);
    const tmp = join(this.#dir, 'committed.tmp');
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(`${this.#committed}\n`);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(tmp, join(this.#dir, 'committed'));
    await this.#dropCommittedSegments();
    return done;
  }

  /**
   * Keeps of an entry read back after a crash only the readings the store turned out not to
   * hold, `encoded` in the store's write form (undefined when none is left: nothing to write).
   */
  forget(entry: JournalEntry, keep: StoredReading[], encoded: EncodedReadings | undefined): void {
    entry.readings = keep;
    entry.seqs = Float64Array.from(keep, (r) => r.seq);
    entry.encoded = encoded;
  }

  /** Whether an uncommitted entry holds this reading. */
  holds(device: string, seq: number): boolean {
    for (const entry of this.#byDevice.get(device) ?? []) if (entry.seqs.includes(seq)) return true;
    return false;
  }

  /** The highest uncommitted seq of each device. */
  highestPending(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [device, entries] of this.#byDevice) {
      for (const entry of entries) for (const seq of entry.seqs) out.set(device, Math.max(out.get(device) ?? -1, seq));
    }
    return out;
  }

  pendingEntries(): readonly JournalEntry[] {
    return this.#pending;
  }

  pendingBytes(): number {
    return this.#pendingBytes;
  }

  async close(): Promise<void> {
    await this.#segment?.handle.close();
    this.#segment = undefined;
  }

  #track(entry: JournalEntry, bytes: number): void {
    this.#pending.push(entry);
    this.#pendingBytes += bytes;
    this.#sizes.set(entry.id, bytes);
    let entries = this.#byDevice.get(entry.device);
    if (!entries) this.#byDevice.set(entry.device, (entries = new Set()));
    entries.add(entry);
  }

  async #dropCommittedSegments(): Promise<void> {
    const names = await segmentNames(this.#dir);
    // A segment is done when the next one starts at or below the committed id + 1.
    for (let i = 0; i + 1 < names.length; i += 1) {
      const nextFirst = firstIdOf(names[i + 1]!);
      if (nextFirst <= this.#committed + 1 && firstIdOf(names[i]!) !== this.#segment?.firstId) {
        await unlink(join(this.#dir, names[i]!));
      }
    }
  }
}

/** An entry read back: its readings, given the entry's batch; not encoded (the ingester does it, after `forget`). */
function entryOf(line: JournalLine): JournalEntry {
  const readings = line.readings ?? line.message?.readings;
  if (typeof line.id !== 'number' || typeof line.batch !== 'number' || !Array.isArray(readings) || readings.length === 0) {
    throw new TypeError('not a journal entry');
  }
  return {
    id: line.id,
    batch: line.batch,
    device: readings[0]!.device,
    seqs: Float64Array.from(readings, (r) => r.seq),
    encoded: undefined,
    readings: withBatch(readings, line.batch),
  };
}

const firstIdOf = (name: string): number => Number(/^segment-(\d+)\.jsonl$/.exec(name)![1]);

async function segmentNames(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => /^segment-\d+\.jsonl$/.test(n)).sort((a, b) => firstIdOf(a) - firstIdOf(b));
}
