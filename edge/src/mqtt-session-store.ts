import { Readable } from 'node:stream';
import { join } from 'node:path';
import type { IPublishPacket, IStore, Packet } from 'mqtt';
import { JsonLinesLog } from './json-lines-log.js';

/** The readings one stored MQTT message carries: a device's, through this seq. */
export interface BatchRange {
  device: string;
  throughSeq: number;
}

interface SessionRecord {
  packet: Packet;
  range?: BatchRange;
}

/** Log lines: a packet stored (or replaced: PUBLISH by PUBREL) with its range, or one removed. */
type LogLine = { put: StoredPacket; range?: BatchRange } | { del: number };
type StoredPacket = Omit<IPublishPacket, 'payload'> & { payload?: string } | { cmd: 'pubrel'; messageId: number };

/** Log lines past which the log is rewritten with only the messages still in flight. */
const COMPACT_AFTER_LINES = 4096;

/**
 * The agent's outgoing MQTT session (mqtt.js `outgoingStore`), kept on disk
 * for reading batches, which makes their delivery to the broker exactly once
 * through kill -9 and power loss (MQTT QoS 2):
 *
 * 1. mqtt.js stores a batch's PUBLISH here (fdatasync'd) before it sends it;
 * 2. on the broker's PUBREC it stores the PUBREL in its place, then sends it;
 * 3. on PUBCOMP it removes the message: `onReleased` runs first (the outbox
 *    lets the readings go), then the removal is logged.
 *
 * A restarted agent opens the same store on a session that is not clean and
 * mqtt.js sends what it holds again, with the same packet ids: a PUBLISH the
 * broker already has is recognised by its id and not routed twice; a PUBREL
 * completes a release. While a device has a batch here, the publisher sends
 * nothing newer for it (`settled`), and the readings stay in the outbox until
 * released, so a crash at any step leaves them in one place or the other, never
 * lost and never published under a second packet id.
 *
 * Other messages (the agent's status) are kept in memory only.
 */
export class MqttSessionStore implements IStore {
  readonly #records = new Map<number, SessionRecord>();
  /** What the next batch published on a topic carries, as the publisher said (`expect`). */
  readonly #expected = new Map<string, BatchRange>();
  readonly #log: JsonLinesLog | undefined;
  #waiters: { device: string; resolve: () => void }[] = [];
  /** Runs before a released batch is forgotten: the broker has it, and will route it once. */
  onReleased: ((range: BatchRange, messageId: number) => Promise<void>) | undefined;

  private constructor(log: JsonLinesLog | undefined) {
    this.#log = log;
  }

  /** A store kept in `dir/mqtt-session.log`, or in memory only without a folder. */
  static async open(dir: string | undefined): Promise<MqttSessionStore> {
    if (dir === undefined) return new MqttSessionStore(undefined);
    const { log, entries } = await JsonLinesLog.open(join(dir, 'mqtt-session.log'));
    const store = new MqttSessionStore(log);
    for (const entry of entries as LogLine[]) {
      if ('del' in entry) store.#records.delete(entry.del);
      else store.#records.set(entry.put.messageId!, { packet: entry.put as Packet, ...(entry.range ? { range: entry.range } : {}) });
    }
    return store;
  }

  /**
   * Says which readings the next batch published on `topic` carries; the publisher calls it just
   * before it publishes (one batch in flight per device, so per topic). A publish nobody announced
   * (the agent's status) is not a reading batch.
   */
  expect(topic: string, range: BatchRange): void {
    this.#expected.set(topic, range);
  }

  /** Reading batches in flight (stored and not yet released), oldest first. */
  inFlight(): BatchRange[] {
    return [...this.#records.values()].flatMap((r) => (r.range ? [r.range] : []));
  }

  /** Resolves once no batch of the device is in flight. */
  settled(device: string): Promise<void> {
    if (!this.#holds(device)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ device, resolve }));
  }

  put(packet: Packet, cb: (error?: Error) => void): this {
    const id = packet.messageId!;
    const previous = this.#records.get(id);
    const range = packet.cmd === 'publish' ? this.#expected.get(packet.topic) : previous?.range;
    if (packet.cmd === 'publish') this.#expected.delete(packet.topic);
    const record: SessionRecord = { packet, ...(range ? { range } : {}) };
    this.#records.set(id, record);
    if (!this.#log || !isDurable(record)) {
      queueMicrotask(() => cb());
      return this;
    }
    const line: LogLine = { put: storedPacket(packet), range: record.range };
    this.#log.append(line).then(() => cb(), (error: Error) => cb(error));
    return this;
  }

  del(packet: Pick<Packet, 'messageId'>, cb: (error?: Error, packet?: Packet) => void): this {
    const id = packet.messageId!;
    const record = this.#records.get(id);
    if (!record) {
      queueMicrotask(() => cb(new Error('missing packet')));
      return this;
    }
    void this.#remove(id, record).then(() => cb(undefined, record.packet), (error: Error) => cb(error));
    return this;
  }

  get(packet: Pick<Packet, 'messageId'>, cb: (error?: Error, packet?: Packet) => void): this {
    const record = this.#records.get(packet.messageId!);
    queueMicrotask(() => (record ? cb(undefined, record.packet) : cb(new Error('missing packet'))));
    return this;
  }

  createStream(): ReturnType<IStore['createStream']> {
    const packets = [...this.#records.values()].map((r) => r.packet);
    let next = 0;
    // mqtt.js reads one packet at a time and sends each again.
    return new Readable({
      objectMode: true,
      read() {
        this.push(next < packets.length ? packets[next++] : null);
      },
    }) as unknown as ReturnType<IStore['createStream']>;
  }

  close(cb: (error?: Error) => void): void {
    // Called by mqtt.js on end(); what is in flight stays on disk for the next start.
    if (!this.#log) {
      queueMicrotask(() => cb());
      return;
    }
    this.#log.close().then(() => cb(), (error: Error) => cb(error));
  }

  async #remove(id: number, record: SessionRecord): Promise<void> {
    // Only a PUBREL (the broker sent PUBREC: it holds the message) is a delivery; a PUBLISH removed was refused.
    if (record.range && record.packet.cmd === 'pubrel') await this.onReleased?.(record.range, id);
    this.#records.delete(id);
    if (this.#log && isDurable(record)) {
      await this.#log.append({ del: id } satisfies LogLine);
      if (this.#log.lines > COMPACT_AFTER_LINES) {
        await this.#log.rewrite([...this.#records.values()].flatMap((r) => (isDurable(r) ? [{ put: storedPacket(r.packet), range: r.range }] : [])));
      }
    }
    this.#waiters = this.#waiters.filter((w) => {
      if (this.#holds(w.device)) return true;
      w.resolve();
      return false;
    });
  }

  #holds(device: string): boolean {
    for (const r of this.#records.values()) if (r.range?.device === device) return true;
    return false;
  }
}

/**
 * Kept on disk: a reading batch at QoS 2 (its PUBLISH, then its PUBREL). A QoS 1 batch
 * sent again after a restart would be a second copy anyway, and status messages are
 * published afresh on connect: both are kept in memory only.
 */
function isDurable(record: SessionRecord): record is Required<SessionRecord> {
  return record.range !== undefined && (record.packet.cmd === 'pubrel' || (record.packet.cmd === 'publish' && record.packet.qos === 2));
}

/** A packet as a log line holds it: the payload as text (batches are JSON). */
function storedPacket(packet: Packet): StoredPacket {
  if (packet.cmd === 'pubrel') return { cmd: 'pubrel', messageId: packet.messageId! };
  const publish = packet as IPublishPacket;
  const { payload, ...rest } = publish;
  return { ...rest, payload: Buffer.isBuffer(payload) ? payload.toString('utf8') : payload };
}
