import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { QingliuError } from '@qingliu/protocol';
import type { QingliuErrorCode, SignedBatch } from '@qingliu/protocol';
import type { DeviceRegistry, Enrolment } from '../registry/device-registry.js';
import { checkPayloadSize, verifyBatchMessage } from './batch-verifier.js';

/** A message that passed every check: its batch, and the payload as text (what the batch was parsed from). */
export interface VerifiedMessage {
  batch: SignedBatch;
  text: string;
}

/** Checks MQTT messages; each answer comes in the order the messages were given. */
export interface MessageVerifier {
  /** The message's batch, verified; rejects with a QingliuError naming why it is refused. */
  verify(topic: string, payload: Buffer): Promise<VerifiedMessage>;
  close(): Promise<void>;
}

export interface VerifyPoolParameters {
  /** Worker threads; 0 checks on the calling thread. */
  threads: number;
  registry: DeviceRegistry;
  maxPayloadBytes: number;
  logger: Logger;
  /** The worker script (default verify-worker.js); tests give one that dies. */
  workerUrl?: URL;
}

/** @internal What a worker is started with, asked and answers (verify-worker.ts). */
export interface VerifyWorkerData {
  enrolments: Enrolment[];
  maxPayloadBytes: number;
}
/** @internal The payload's bytes, in a buffer of their own, moved (not copied) to the thread. */
export interface VerifyRequest {
  id: number;
  topic: string;
  bytes: Uint8Array;
}
/** @internal No `code` and no `failed`: the message is good. */
export interface VerifyReply {
  id: number;
  code?: QingliuErrorCode;
  reason?: string;
  failed?: string;
}

/** One thread per core but the one the ingester itself runs on (none on a single core), at most 4. */
export function defaultVerifyThreads(): number {
  const cores = availableParallelism();
  return cores <= 1 ? 0 : Math.min(4, cores - 1);
}

interface InFlight {
  id: number;
  topic: string;
  payload: Buffer;
  attempts: number;
  resolve: (message: VerifiedMessage) => void;
  reject: (error: unknown) => void;
}

interface Slot {
  worker: Worker;
  inFlight: Map<number, InFlight>;
}

/**
 * Verifies messages off the ingester's thread. Schema and signature checks are
 * most of the ingester's work per reading (bench/verify-batch), and they need
 * nothing but the message and the registry, so they run on worker threads,
 * each with a copy of the registry kept up to date (`DeviceRegistry.onEnrol`).
 *
 * A worker answers only "good" or the reason it refuses; the ingester's thread
 * then parses the good message itself (JSON.parse of the same text is cheaper
 * than copying the parsed objects across threads). A worker that dies has its
 * messages checked again by its replacement, then, failing that, on the
 * ingester's thread: a message is never refused because a thread failed.
 */
export function createVerifyPool(params: VerifyPoolParameters): MessageVerifier {
  const { registry, maxPayloadBytes, logger } = params;
  const onThread = (topic: string, text: string): VerifiedMessage => ({
    batch: verifyBatchMessage(topic, text, registry, maxPayloadBytes).batch,
    text,
  });
  /** The payload as text; one too large is refused before it is turned into text (or copied to a thread). */
  const textOf = (payload: Buffer): string => {
    checkPayloadSize(payload.length, maxPayloadBytes);
    return payload.toString('utf8');
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
      verify: (topic, payload) => inOrder(new Promise((resolve) => resolve(onThread(topic, textOf(payload))))),
      close: () => Promise.resolve(),
    };
  }

  let closing = false;
  let nextId = 1;
  const slots: Slot[] = [];

  function start(index: number): void {
    const data: VerifyWorkerData = { enrolments: registry.enrolments(), maxPayloadBytes };
    const worker = new Worker(params.workerUrl ?? new URL('./verify-worker.js', import.meta.url), { workerData: data });
    worker.unref();
    const slot: Slot = { worker, inFlight: new Map() };
    slots[index] = slot;
    worker.on('message', (reply: VerifyReply) => {
      const request = slot.inFlight.get(reply.id);
      if (!request) return;
      slot.inFlight.delete(reply.id);
      if (reply.failed !== undefined) {
        logger.error({ topic: request.topic, failed: reply.failed }, 'verify thread failed on a message; checking it here');
        settleHere(request);
      } else if (reply.code !== undefined) {
        request.reject(new QingliuError(reply.code, reply.reason ?? reply.code));
      } else {
        const text = request.payload.toString('utf8');
        request.resolve({ batch: JSON.parse(text) as SignedBatch, text });
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
      request.resolve(onThread(request.topic, request.payload.toString('utf8')));
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
    slot.worker.postMessage({ id: request.id, topic: request.topic, bytes } satisfies VerifyRequest, [bytes.buffer]);
  }

  for (let i = 0; i < params.threads; i += 1) start(i);
  const unsubscribe = registry.onEnrol((enrolment) => {
    for (const slot of slots) slot.worker.postMessage({ enrol: enrolment });
  });

  return {
    verify(topic, payload) {
      if (closing) return Promise.reject(new Error('the verify pool is closed'));
      return inOrder(
        new Promise<VerifiedMessage>((resolve, reject) => {
          checkPayloadSize(payload.length, maxPayloadBytes);
          send({ id: nextId++, topic, payload, attempts: 0, resolve, reject });
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
