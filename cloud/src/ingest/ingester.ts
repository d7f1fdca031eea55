import type { Logger } from 'pino';
import { isQingliuError } from '@qingliu/protocol';
import type { DeadLetterStore } from '../ports/dead-letter-store.js';
import type { DedupeIndex } from '../ports/dedupe-index.js';
import type { ReadingStore } from '../ports/reading-store.js';
import type { DeviceRegistry } from '../registry/device-registry.js';
import { createBatchClock } from './assign-batch.js';
import { DEFAULT_MAX_PAYLOAD_BYTES } from './batch-verifier.js';
import { createDedupe } from './dedupe.js';
import { emptyIngestStats } from './ingest-stats.js';
import type { IngestStats } from './ingest-stats.js';
import type { IngestJournal } from './ingest-journal.js';
import { openJournalStage } from './journal-stage.js';
import { openMqttSource } from './mqtt-source.js';
import type { MqttSourceOptions } from './mqtt-source.js';
import { refuser } from './refuse.js';
import { createVerifyPool, defaultVerifyThreads, loadEncoder } from './verify-pool.js';
import { createRetry, directWrite, storeWrite } from './write.js';

export interface IngesterParameters {
  mqtt: MqttSourceOptions;
  registry: DeviceRegistry;
  store: ReadingStore;
  /** What the store holds already, by (device, seq): the same readings `store` holds. */
  dedupeIndex: DedupeIndex;
  /** The store's encoder module (ports/reading-encoder.ts), loaded by the verify threads. */
  encoderModule: URL;
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
 * Receives signed batches over MQTT and takes each through the stages: assign its settlement batch
 * (assign-batch.ts), verify (verify-pool.ts), dedupe (dedupe.ts), then journal (journal-stage.ts)
 * or write (write.ts). A message is acknowledged (PUBACK) only once its readings are journaled or
 * stored, so while the store is down nothing is acknowledged and the broker and the edge outboxes hold the data.
 */
export async function createIngester(params: IngesterParameters): Promise<Ingester> {
  const { logger, journal } = params;
  const now = params.now ?? Date.now;
  const stats = emptyIngestStats();
  let closing = false;
  const isClosing = (): boolean => closing;
  const retry = createRetry({ minMs: params.retryMinMs ?? 100, maxMs: params.retryMaxMs ?? 5000, logger, onRetry: () => (stats.storeRetries += 1) });
  const clock = createBatchClock({ periodMs: params.settlementPeriodMs, now });
  // Here for what the verify threads did not encode: part of a message, journal entries after a crash.
  const encode = await loadEncoder(params.encoderModule);
  const dedupe = await createDedupe({
    index: params.dedupeIndex,
    journal,
    // With other ingesters on the shared subscription, this one's memory of a device's highest seq is not the store's.
    othersInGroup: params.mqtt.sharedGroup !== undefined && params.mqtt.aloneInGroup !== true,
    encode,
    ask: (call) => retry('look up stored readings', call, isClosing),
    onDuplicates: (count) => (stats.duplicates += count),
  });
  const write = storeWrite(params.store, retry);
  const onStored = (count: number): number => (stats.stored += count);
  const sink = journal
    ? await openJournalStage({ journal, clock, dedupe, write, encode, closing: isClosing, onStored, maxJournalBytes: params.maxJournalBytes ?? 256 * 1024 * 1024, maxReadingsPerWrite: params.maxReadingsPerWrite ?? 5000, logger })
    : directWrite({ write, dedupe, closing: isClosing, onStored });
  const refuse = refuser({ rejected: stats.rejected, logger, deadLetters: params.deadLetters, now });
  // Schema and signature checks run on worker threads (verify-pool.ts), in arrival order.
  const maxPayloadBytes = params.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  const verifier = await createVerifyPool({ threads: params.verifyThreads ?? defaultVerifyThreads(), registry: params.registry, maxPayloadBytes, encoderModule: params.encoderModule, logger });

  const source = await openMqttSource(params.mqtt, async (topic, payload) => {
    stats.messages += 1;
    // The period the message arrives in; open while it is checked (and, journaled, until its entry is stored).
    const batch = clock.current();
    clock.open(batch);
    try {
      const message = await verifier.verify(topic, payload, batch).catch((error: unknown) => {
        if (!isQingliuError(error)) throw error;
        return refuse(error.code, error.shortMessage, topic, payload);
      });
      if (message === true) return true;
      return await dedupe.oneAtATime(message.device, async () => {
        const part = await dedupe.newPart(message);
        if (!part) return refuse('DUPLICATE', `all ${message.seqs.length} readings of ${message.device} (seq ${message.seqs[0]}..) are stored already`, topic, payload);
        return sink.take(part, batch);
      });
    } finally {
      clock.done(batch);
    }
  }, logger);

  return {
    stats: () => structuredClone(stats),
    currentBatch: clock.current,
    writtenThrough: clock.writtenThrough,
    writesSettled: clock.writesSettled,
    async close() {
      closing = true;
      await source.close();
      await sink.close();
      await verifier.close();
    },
  };
}
