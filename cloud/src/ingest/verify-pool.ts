import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { QingliuError } from '@qingliu/protocol';
import type { QingliuErrorCode, SignedBatch } from '@qingliu/protocol';
import type { EncodedReadings, ReadingEncoder } from '../ports/reading-encoder.js';
import type { StoredReading } from '../ports/reading-store.js';
import type { DeviceRegistry, Enrolment } from '../registry/device-registry.js';
import { checkPayloadSize, verifyBatchMessage } from './batch-verifier.js';
import { withBatch } from './with-batch.js';

/** A message that passed every check, its readings given the settlement batch asked for. */
export interface VerifiedMessage {
  device: string;
  /** The readings' seqs, in the message's order. */
  seqs: Float64Array;
  /** The readings in the store's write form. */
  encoded: EncodedReadings;
  /** The payload as text. */
  text: string;
  /** The readings, parsed from `text` on the first call (the ingester needs them only off its fast path). */
  readings(): StoredReading[];
}

/** Checks MQTT messages; each answer comes in the order the messages were given. */
export interface MessageVerifier {
  /** The message, verified and encoded in `batch`; rejects with a QingliuError naming why it is refused. */
  verify(topic: string, payload: Buffer, batch: number): Promise<VerifiedMessage>;
  close(): Promise<void>;
}

export interface VerifyPoolParameters {
  /** Worker threads; 0 checks on the calling thread. */
  threads: number;
  registry: DeviceRegistry;
  maxPayloadBytes: number;
  /** The store's encoder module (ports/reading-encoder.ts), as the composition root chose it with the store. */
  encoderModule: URL;
  logger: Logger;
  /** The worker script (default verify-worker.js); tests give one that dies. */
  workerUrl?: URL;
}

/** @internal What a worker is started with, asked and answers (verify-worker.ts). */
export interface VerifyWorkerData {
  enrolments: Enrolment[];
  maxPayloadBytes: number;
  encoderModule: string;
}
/** @internal The payload's bytes, in a buffer of their own, moved (not copied) to the thread. */
export interface VerifyRequest {
  id: number;
  topic: string;
  bytes: Uint8Array;
  batch: number;
}
/** @internal A good message has `encoded` and `seqs`; a refused one `code` and `reason`; a thread's own failure `failed`. */
export interface VerifyReply {
  id: number;
  encoded?: EncodedReadings;
  seqs?: Float64Array;
  code?: QingliuErrorCode;
  reason?: string;
  failed?: string;
}

/** One thread per core but the one the ingester itself runs on (none on a single core), at most 4. */
export function defaultVerifyThreads(): number {
  const cores = availableParallelism();
  return cores <= 1 ? 0 : Math.min(4, cores - 1);
}

/** Loads a store's encoder module. */
export async function loadEncoder(encoderModule: URL | string): Promise<ReadingEncoder> {
  const module = (await import(typeof encoderModule === 'string' ? encoderModule : encoderModule.href)) as { encodeReadings?: ReadingEncoder };
  if (typeof module.encodeReadings !== 'function') throw new TypeError(`${String(encoderModule)} exports no encodeReadings`);
  return module.encodeReadings;
}

/** Checks one message and encodes its readings: what a thread does, and the calling thread in its place. */
export function verifyAndEncode(
  topic: string,
  payload: Buffer,
  batch: number,
  registry: DeviceRegistry,
  maxPayloadBytes: number,
  encode: ReadingEncoder,
): { readings: StoredReading[]; encoded: EncodedReadings; seqs: Float64Array; text: string } {
  const verified = verifyBatchMessage(topic, payload, registry, maxPayloadBytes);
  const readings = withBatch(verified.readings, batch);
  const seqs = new Float64Array(readings.length);
  for (let i = 0; i < readings.length; i += 1) seqs[i] = readings[i]!.seq;
  return { readings, encoded: encode(readings), seqs, text: verified.text };
}

interface InFlight {
  id: number;
  topic: string;
  payload: Buffer;
  batch: number;
  attempts: number;
  resolve: (message: VerifiedMessage) => void;
  reject: (error: unknown) => void;
}

interface Slot {
  worker: Worker;
  inFlight: Map<number, InFlight>;
}

/**
 * Verifies messages off the ingester's thread, and puts their readings in the
 * store's write form there too. Schema and signature checks and encoding are
 * most of the ingester's work per reading (bench/ingest-pipeline), and they
 * need nothing but the message, the registry and the store's encoder, so they
 * run on worker threads, each with a copy of the registry kept up to date
 * (`DeviceRegistry.onEnrol`). What comes back is one string and the seqs: the
 * ingester's thread builds no object per reading on its fast path.
 *
 * A worker that dies has its messages checked again by its replacement, then,
 * failing that, on the ingester's thread: a message is never refused because a
 * thread failed.
 */
export async function createVerifyPool(params: VerifyPoolParameters): Promise<MessageVerifier> {
  const { registry, maxPayloadBytes, logger } = params;
  const encode = await loadEncoder(params.encoderModule);
  /** The readings of a good message, parsed here when asked for. */
  const lazyReadings = (text: string, batch: number): (() => StoredReading[]) => {
    let readings: StoredReading[] | undefined;
    return () => (readings ??= withBatch((JSON.parse(text) as SignedBatch).readings, batch));
  };
  const onThread = (topic: string, payload: Buffer, batch: number): VerifiedMessage => {
    const { readings, encoded, seqs, text } = verifyAndEncode(topic, payload, batch, registry, maxPayloadBytes, encode);
    return { device: encoded.device, seqs, encoded, text, readings: () => readings };
  };
  // Answers in order: a later message of a device must not overtake an earlier one (the dedupe's fast path).
  let tail: Promise<unknown> = Promise.resolve();
  const inOrder = (outcome: Promise<VerifiedMessage>): Promise<VerifiedMessage> => {
    const ordered = tail.then(() => outcome);
    tail = ordered.catch(() => undefined);
    return ordered;
  };

  if (params.threads <= 0) {
    return {
      verify: (topic, payload, batch) => inOrder(new Promise((resolve) => resolve(onThread(topic, payload, batch)))),
      close: () => Promise.resolve(),
    };
  }

  let closing = false;
  let nextId = 1;
  const slots: Slot[] = [];

  function start(index: number): void {
    const data: VerifyWorkerData = { enrolments: registry.enrolments(), maxPayloadBytes, encoderModule: params.encoderModule.href };
    const worker = new Worker(params.workerUrl ?? new URL('./verify-worker.js', import.meta.url), { workerData: data });
    worker.unref();
    const slot: Slot = { worker, inFlight: new Map() };
    slots[index] = slot;
    worker.on('message', (reply: VerifyReply) => {
      const request = slot.inFlight.get(reply.id);
      if (!request) return;
      slot.inFlight.delete(reply.id);
      if (reply.encoded && reply.seqs) {
        const text = request.payload.toString('utf8');
        request.resolve({ device: reply.encoded.device, seqs: reply.seqs, encoded: reply.encoded, text, readings: lazyReadings(text, request.batch) });
      } else if (reply.code !== undefined) {
        request.reject(new QingliuError(reply.code, reply.reason ?? reply.code));
      } else {
        logger.error({ topic: request.topic, failed: reply.failed }, 'verify thread failed on a message; checking it here');
        settleHere(request);
      }
    });
    worker.on('error', (error) => logger.error({ err: error }, 'verify thread crashed'));
    worker.on('exit', () => {
      if (closing) return;
      start(index);
      // What it held is checked again by its replacement, once; then here.
      for (const request of slot.inFlight.values()) {
        request.attempts += 1;
        if (request.attempts < 2) send(request);
        else settleHere(request);
      }
    });
  }

  function settleHere(request: InFlight): void {
    try {
      request.resolve(onThread(request.topic, request.payload, request.batch));
    } catch (error) {
      request.reject(error);
    }
  }

  function send(request: InFlight): void {
    let slot = slots[0]!;
    for (const s of slots) if (s.inFlight.size < slot.inFlight.size) slot = s;
    slot.inFlight.set(request.id, request);
    // A copy of the bytes (mqtt.js's buffer may be a slice of a larger one), moved to the thread: a memcpy, no serialising.
    const bytes = new Uint8Array(request.payload);
    slot.worker.postMessage({ id: request.id, topic: request.topic, bytes, batch: request.batch } satisfies VerifyRequest, [bytes.buffer]);
  }

  for (let i = 0; i < params.threads; i += 1) start(i);
  const unsubscribe = registry.onEnrol((enrolment) => {
    for (const slot of slots) slot.worker.postMessage({ enrol: enrolment });
  });

  return {
    verify(topic, payload, batch) {
      if (closing) return Promise.reject(new Error('the verify pool is closed'));
      return inOrder(
        new Promise<VerifiedMessage>((resolve, reject) => {
          // Too large to copy to a thread: refused here.
          checkPayloadSize(payload.length, maxPayloadBytes);
          send({ id: nextId++, topic, payload, batch, attempts: 0, resolve, reject });
        }),
      );
    },
    async close() {
      closing = true;
      unsubscribe();
      for (const slot of slots) {
        for (const request of slot.inFlight.values()) request.reject(new Error('the verify pool is closed'));
        slot.inFlight.clear();
      }
      await Promise.all(slots.map((slot) => slot.worker.terminate()));
    },
  };
}
