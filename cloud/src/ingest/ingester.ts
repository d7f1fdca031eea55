import { connect } from 'mqtt';
import { keepSubscribed } from './mqtt-subscription.js';
import type { IPublishPacket, MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { ALL_READINGS_TOPIC, QingliuError, isQingliuError } from '@qingliu/protocol';
import type { QingliuErrorCode, Reading } from '@qingliu/protocol';
import { deadLetterOf } from '../dead-letter/file-dead-letter-store.js';
import type { DeadLetterStore } from '../ports/dead-letter-store.js';
import type { EncodedReadings, ReadingStore } from '../ports/reading-store.js';
import type { DeviceRegistry } from '../registry/device-registry.js';
import { DEFAULT_MAX_PAYLOAD_BYTES } from './batch-verifier.js';
import { emptyIngestStats } from './ingest-stats.js';
import type { IngestStats } from './ingest-stats.js';
import type { IngestJournal, JournalAppend } from './ingest-journal.js';
import { createJournalWriter } from './journal-writer.js';
import { SequenceGuard, strictlyIncreasing } from './sequence-guard.js';
import { createVerifyPool, defaultVerifyThreads, loadEncoder } from './verify-pool.js';
import type { VerifiedMessage } from './verify-pool.js';

export interface IngesterParameters {
  mqtt: {
    url: string;
    username?: string;
    password?: string;
    /** A fixed id keeps the broker session (and its queued QoS 1 messages) across restarts. */
    clientId: string;
    /** Subscribe as `$share/<group>/...` so several ingesters split the load. */
    sharedGroup?: string;
    /** CA certificate(s) for mqtts:// brokers, PEM. */
    ca?: string | Buffer;
    /** MQTT connections sharing `sharedGroup` in this process (default 1). */
    connections?: number;
    /**
     * No other process subscribes in `sharedGroup` (default false). Then every message of a
     * device comes here, and a reading above the highest seq this ingester stored of its device
     * is new for sure. With other ingesters in the group it may have been stored by one of them
     * (a replay, or a copy of a message after a broker outage), so every reading is looked up.
     */
    aloneInGroup?: boolean;
  };
  registry: DeviceRegistry;
  store: ReadingStore;
  /** Where refused messages are kept, with their reason. */
  deadLetters?: DeadLetterStore;
  /**
   * Write-ahead journal: a message is acknowledged once its readings are
   * fsynced here, and written to the store behind, in big writes. Without
   * one, each message waits for its own store write.
   */
  journal?: IngestJournal;
  /** With a journal: stop acknowledging while this many bytes wait in it (256 MiB). */
  maxJournalBytes?: number;
  /** With a journal: most readings per store write (5,000). */
  maxReadingsPerWrite?: number;
  /** Length of a settlement period, milliseconds. Readings are assigned to the period they arrive in. */
  settlementPeriodMs: number;
  logger: Logger;
  /** Largest payload parsed, bytes. */
  maxPayloadBytes?: number;
  /** Threads that check schemas and signatures (verify-pool.ts); 0 checks on the ingester's own thread. */
  verifyThreads?: number;
  /** First and longest wait between store write retries, milliseconds. */
  retryMinMs?: number;
  retryMaxMs?: number;
  now?: () => number;
}

export interface Ingester {
  stats(): IngestStats;
  /** The settlement batch a reading arriving now belongs to. */
  currentBatch(): number;
  /** Resolves once no write for `batch` or an earlier one is still pending. */
  writesSettled(batch: number): Promise<void>;
  /** The highest batch, before the current one, whose readings this ingester took in are all stored. */
  writtenThrough(): number;
  close(): Promise<void>;
}

/**
 * Receives signed batches over MQTT, verifies them, drops duplicates and
 * writes the rest to the store. A message is acknowledged (PUBACK) only after
 * its readings are stored, so while the store is down nothing is acknowledged
 * and the broker and the edge outboxes hold the data.
 */
export async function createIngester(params: IngesterParameters): Promise<Ingester> {
  const { registry, store, logger, settlementPeriodMs } = params;
  const now = params.now ?? Date.now;
  const maxPayloadBytes = params.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  const retryMinMs = params.retryMinMs ?? 100;
  const retryMaxMs = params.retryMaxMs ?? 5000;
  const stats = emptyIngestStats();
  let closing = false;
  const journal = params.journal;
  const highest = await withRetry('read the dedupe state', () => store.highestSequences());
  for (const [device, seq] of journal?.highestPending() ?? []) highest.set(device, Math.max(highest.get(device) ?? -1, seq));
  const guard = new SequenceGuard(highest);
  // The store's encoder, here for what the verify threads did not encode: part of a message, journal entries after a crash.
  const encode = await loadEncoder(store.encoderModule);
  const pending = new Map<number, number>();
  const waiters: { batch: number; resolve: () => void }[] = [];

  const currentBatch = (): number => Math.floor(now() / settlementPeriodMs);
  const hasPendingUpTo = (batch: number): boolean => [...pending.keys()].some((b) => b <= batch);
  const wakeWaiters = (): void => {
    for (let i = waiters.length - 1; i >= 0; i -= 1) {
      const waiter = waiters[i]!;
      if (!hasPendingUpTo(waiter.batch)) {
        waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  };

  /** Retries a store call with backoff until it succeeds; rethrows once `abandon()` says so. */
  async function withRetry<T>(what: string, call: () => Promise<T>, abandon = (): boolean => closing): Promise<T> {
    let delay = retryMinMs;
    for (;;) {
      try {
        return await call();
      } catch (error) {
        if (abandon()) throw error;
        stats.storeRetries += 1;
        logger.warn({ err: error, retryInMs: delay }, `could not ${what}; retrying`);
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, retryMaxMs);
      }
    }
  }

  /**
   * Of readings at or below their device's highest stored seq, those the store
   * does not hold (nor, unless told otherwise, the journal).
   */
  async function notStoredYet<R extends Reading>(readings: R[], inJournal = (r: Reading): boolean => journal?.holds(r.device, r.seq) ?? false): Promise<R[]> {
    const byDevice = new Map<string, R[]>();
    for (const r of readings) byDevice.set(r.device, [...(byDevice.get(r.device) ?? []), r]);
    const out: R[] = [];
    for (const [device, list] of byDevice) {
      // The journal first: while the store is asked, the journal writer may move an entry into the store,
      // and a reading asked of both in the other order would then be in neither.
      const journaled = new Set(list.filter((r) => inJournal(r)).map((r) => r.seq));
      const times = list.map((r) => r.ts);
      const stored = await withRetry('look up stored readings', () =>
        store.storedSequences(device, Math.min(...times), Math.max(...times)),
      );
      const seen = new Set<number>();
      for (const r of list) {
        if (!stored.has(r.seq) && !seen.has(r.seq) && !journaled.has(r.seq)) out.push(r);
        seen.add(r.seq);
      }
    }
    return out;
  }

  /** Whether no seq of a message is journaled or stored (asked in that order, as in `notStoredYet`). */
  async function noneKnown({ device, seqs, encoded }: VerifiedMessage): Promise<boolean> {
    if (journal && seqs.some((seq) => journal.holds(device, seq))) return false;
    const stored = await withRetry('look up stored readings', () => store.storedSequences(device, encoded.fromMs, encoded.toMs));
    return !seqs.some((seq) => stored.has(seq));
  }

  async function storeWithRetry(encoded: EncodedReadings): Promise<boolean> {
    try {
      // Until this resolves, the message stays unacknowledged: the broker keeps it.
      await withRetry('store readings', () => store.writeEncoded([encoded]));
      return true;
    } catch {
      return false; // closing
    }
  }

  function refuse(code: QingliuErrorCode, reason: string, topic: string, payload: Buffer): true {
    stats.rejected[code] = (stats.rejected[code] ?? 0) + 1;
    logger.warn({ code, topic, reason }, 'batch rejected');
    params.deadLetters?.put(deadLetterOf(code, reason, topic, payload, now()));
    return true; // acknowledged: a bad message never becomes good by redelivery
  }

  async function handle(topic: string, payload: Buffer): Promise<boolean> {
    stats.messages += 1;
    // The settlement batch is the period the message arrives in. It stays open (pending) while the
    // message is checked, and then while its journal entry waits for the store.
    const batch = currentBatch();
    addPending(batch);
    try {
      let message: VerifiedMessage;
      try {
        message = await verifier.verify(topic, payload, batch);
      } catch (error) {
        if (!isQingliuError(error)) throw error;
        return refuse(error.code, error.shortMessage, topic, payload);
      }
      // One message per device at a time, so two copies of a batch on two connections cannot both pass.
      return await withDeviceLock(message.device, () => storeNew(topic, payload, message, batch));
    } finally {
      donePending(batch);
    }
  }

  const deviceLocks = new Map<string, Promise<unknown>>();
  function withDeviceLock<T>(device: string, work: () => Promise<T>): Promise<T> {
    const previous = deviceLocks.get(device) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    deviceLocks.set(device, settled);
    void settled.then(() => {
      if (deviceLocks.get(device) === settled) deviceLocks.delete(device);
    });
    return next;
  }

  // With other ingesters on the shared subscription, this one's memory of a device's highest seq is not the store's.
  const othersInGroup = params.mqtt.sharedGroup !== undefined && params.mqtt.aloneInGroup !== true;

  /** The message's new readings, encoded: on the fast path as the verify thread encoded them, without parsing here. */
  async function newPart(message: VerifiedMessage): Promise<JournalAppend | undefined> {
    const whole: JournalAppend = { encoded: message.encoded, seqs: message.seqs, message: message.text, readings: message.readings };
    // Alone: above the highest seq stored, new for sure. With others in the group, any of them may have
    // stored some: the seqs are looked up, still without parsing the message (most are wholly new).
    if (othersInGroup ? strictlyIncreasing(message.seqs) && (await noneKnown(message)) : guard.allFresh(message.device, message.seqs)) {
      return whole;
    }
    const readings = message.readings();
    const split = othersInGroup ? { fresh: [], toCheck: readings } : guard.split(readings);
    // A seq the message carries twice (both copies pass: neither is stored yet) is taken once.
    const taken = new Set(split.fresh.map((r) => r.seq));
    const fresh = [...split.fresh, ...(await notStoredYet(split.toCheck)).filter((r) => !taken.has(r.seq))];
    stats.duplicates += readings.length - fresh.length;
    if (fresh.length === 0) return undefined;
    if (fresh.length === readings.length) return whole;
    return { encoded: encode(fresh), seqs: Float64Array.from(fresh, (r) => r.seq), readings: () => fresh };
  }

  async function storeNew(topic: string, payload: Buffer, message: VerifiedMessage, batch: number): Promise<boolean> {
    const part = await newPart(message);
    if (!part) {
      return refuse('DUPLICATE', `all ${message.seqs.length} readings of ${message.device} (seq ${message.seqs[0]}..) are stored already`, topic, payload);
    }
    if (journal) return journalNew(part, batch);
    if (!(await storeWithRetry(part.encoded))) return false;
    guard.commitSeqs(message.device, part.seqs);
    stats.stored += part.seqs.length;
    return true;
  }

  function addPending(batch: number): void {
    pending.set(batch, (pending.get(batch) ?? 0) + 1);
  }
  function donePending(batch: number): void {
    const left = (pending.get(batch) ?? 1) - 1;
    if (left === 0) pending.delete(batch);
    else pending.set(batch, left);
    wakeWaiters();
  }

  const maxJournalBytes = params.maxJournalBytes ?? 256 * 1024 * 1024;
  let writerStopping = false;
  const writer = journal
    ? createJournalWriter({
        journal,
        write: (parts) =>
          withRetry('store readings', () => store.writeEncoded(parts), () => writerStopping).then(() => true, () => false),
        onWritten: (entries) => {
          for (const entry of entries) {
            stats.stored += entry.seqs.length;
            donePending(entry.batch);
          }
        },
        maxReadingsPerWrite: params.maxReadingsPerWrite ?? 5000,
      })
    : undefined;

  async function journalNew(part: JournalAppend, batch: number): Promise<boolean> {
    // Pending until the entry is in the store: writtenThrough() must not pass the batch before.
    addPending(batch);
    // Backpressure: while the store is behind by this much, stop acknowledging; the broker and the edge outboxes hold the rest.
    while (journal!.pendingBytes() > maxJournalBytes) {
      if (closing) {
        donePending(batch);
        return false;
      }
      writer!.kick();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    try {
      await journal!.append(batch, part);
    } catch (error) {
      donePending(batch);
      throw error;
    }
    guard.commitSeqs(part.encoded.device, part.seqs);
    writer!.kick();
    return true;
  }

  if (journal && writer) {
    // Entries left by a crash: drop what the store turned out to hold, write the rest.
    for (const entry of journal.pendingEntries()) {
      const stillMissing = await notStoredYet(entry.readings ?? [], () => false);
      journal.forget(entry, stillMissing, stillMissing.length > 0 ? encode(stillMissing) : undefined);
      addPending(entry.batch);
    }
    if (journal.pendingEntries().length > 0) {
      logger.info({ entries: journal.pendingEntries().length }, 'writing journal entries left by the last run');
    }
    writer.kick();
  }


  const connections = params.mqtt.connections ?? 1;
  if (connections > 1 && !params.mqtt.sharedGroup) {
    throw new QingliuError('CONFIG_INVALID', 'mqtt.connections > 1 needs mqtt.sharedGroup (a broker with shared subscriptions)');
  }
  const topic = params.mqtt.sharedGroup
    ? `$share/${params.mqtt.sharedGroup}/${ALL_READINGS_TOPIC}`
    : ALL_READINGS_TOPIC;

  // Schema and signature checks run on worker threads (verify-pool.ts), in arrival order.
  const verifier = await createVerifyPool({
    threads: params.verifyThreads ?? defaultVerifyThreads(),
    registry,
    maxPayloadBytes,
    encoderModule: store.encoderModule,
    logger,
  });

  async function subscriber(clientId: string): Promise<MqttClient> {
    // The handler is set before connecting: a persistent session delivers queued
    // messages right after CONNACK, and none may be acknowledged unstored.
    const client: MqttClient = connect(params.mqtt.url, {
      clientId,
      clean: false,
      reconnectPeriod: 1000,
      ...(params.mqtt.username === undefined ? {} : { username: params.mqtt.username }),
      ...(params.mqtt.password === undefined ? {} : { password: params.mqtt.password }),
      ...(params.mqtt.ca === undefined ? {} : { ca: params.mqtt.ca }),
    });
    // mqtt.js sends the PUBACK when this callback is called: only after the store has the readings.
    client.handleMessage = (packet, callback) => {
      const publish = packet as IPublishPacket;
      const payload = Buffer.isBuffer(publish.payload) ? publish.payload : Buffer.from(publish.payload);
      handle(publish.topic, payload).then(
        (ack) => {
          if (ack) callback();
          // Not acknowledged: the broker redelivers it on the next session.
        },
        (error: unknown) => {
          logger.error({ err: error }, 'ingest failed');
          callback(error as Error);
        },
      );
    };
    await keepSubscribed(client, params.mqtt.url, topic, logger);
    return client;
  }

  // Each connection handles one message at a time; several overlap one message's checks with another's write.
  const clients: MqttClient[] = [];
  for (let i = 0; i < connections; i += 1) {
    clients.push(await subscriber(connections === 1 ? params.mqtt.clientId : `${params.mqtt.clientId}-${i}`));
  }
  logger.info({ topic, url: params.mqtt.url, connections }, 'ingester subscribed');

  return {
    stats: () => structuredClone(stats),
    currentBatch,
    writtenThrough() {
      let lowest = currentBatch();
      for (const b of pending.keys()) if (b < lowest) lowest = b;
      return lowest - 1;
    },
    writesSettled(batch) {
      if (!hasPendingUpTo(batch)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ batch, resolve }));
    },
    async close() {
      closing = true;
      await Promise.all(clients.map((client) => client.endAsync()));
      // Write what the journal holds while the store answers; what is left waits for the next start.
      if (writer && journal) {
        const deadline = Date.now() + 5000;
        while (journal.pendingEntries().length > 0 && Date.now() < deadline) {
          writer.kick();
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      writerStopping = true;
      await writer?.stop();
      await verifier.close();
    },
  };
}
