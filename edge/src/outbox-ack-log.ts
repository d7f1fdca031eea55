import { join } from 'node:path';
import { JsonLinesLog } from './json-lines-log.js';

/** Ack log entries past which the log is rewritten with one line per device. */
const COMPACT_AFTER_LINES = 4096;

/**
 * The disk outbox's acknowledgements: per device, the highest seq the broker
 * acknowledged. Kept in `acks.log`, one JSON line `{"d":device,"s":seq}` per
 * ack, each written and fdatasync'd before `record` resolves; a torn last line
 * is ignored on open (that ack is lost, so its readings are sent again and the
 * cloud drops them as duplicates). Rewritten with one line per device when it
 * grows long.
 */
export class AckLog {
  readonly #log: JsonLinesLog;
  readonly #acked: Map<string, number>;

  private constructor(log: JsonLinesLog, acked: Map<string, number>) {
    this.#log = log;
    this.#acked = acked;
  }

  static async open(dir: string): Promise<AckLog> {
    const { log, entries } = await JsonLinesLog.open(join(dir, 'acks.log'));
    const acked = new Map<string, number>();
    for (const entry of entries) {
      const { d, s } = entry as { d: unknown; s: unknown };
      if (typeof d === 'string' && typeof s === 'number' && s > (acked.get(d) ?? -1)) acked.set(d, s);
    }
    return new AckLog(log, acked);
  }

  /** Highest acknowledged seq of the device, or -1. */
  through(device: string): number {
    return this.#acked.get(device) ?? -1;
  }

  /** Writes the ack durably (fdatasync) and then remembers it. */
  async record(device: string, seq: number): Promise<void> {
    await this.#log.append({ d: device, s: seq });
    if (seq > this.through(device)) this.#acked.set(device, seq);
    if (this.#log.lines > COMPACT_AFTER_LINES) {
      await this.#log.rewrite([...this.#acked].map(([d, s]) => ({ d, s })));
    }
  }

  close(): Promise<void> {
    return this.#log.close();
  }
}
