import { QingliuError } from '@qingliu/protocol';
import type { Reading } from '@qingliu/protocol';
import { OUTBOX_FULL_REASON } from './outbox.js';
import type { Outbox } from './outbox.js';

export interface MemoryOutboxParameters {
  /** Most bytes of readings (their JSON) held at once. Default 64 MiB. */
  maxBytes?: number;
}

export const MEMORY_OUTBOX_DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/** An outbox in memory: fast, and lost with the process. The disk outbox keeps the same contract. */
export function createMemoryOutbox(params: MemoryOutboxParameters = {}): Outbox {
  const maxBytes = params.maxBytes ?? MEMORY_OUTBOX_DEFAULT_MAX_BYTES;
  const queues = new Map<string, { reading: Reading; bytes: number }[]>();
  let size = 0;
  let bytes = 0;
  let refused = 0;
  return {
    async append(readings) {
      const sized = readings.map((reading) => ({ reading, bytes: JSON.stringify(reading).length + 1 }));
      const adding = sized.reduce((sum, r) => sum + r.bytes, 0);
      if (bytes + adding > maxBytes) {
        refused += readings.length;
        throw new QingliuError('OUTBOX_FULL', `${OUTBOX_FULL_REASON}: ${bytes} of ${maxBytes} bytes used`, {
          retryable: true,
        });
      }
      for (const entry of sized) {
        let queue = queues.get(entry.reading.device);
        if (!queue) queues.set(entry.reading.device, (queue = []));
        queue.push(entry);
        size += 1;
      }
      bytes += adding;
    },
    async peek(device, max) {
      return (queues.get(device) ?? []).slice(0, max).map((e) => e.reading);
    },
    async ack(device, throughSeq) {
      const queue = queues.get(device);
      if (!queue) return;
      let n = 0;
      while (n < queue.length && queue[n]!.reading.seq <= throughSeq) {
        bytes -= queue[n]!.bytes;
        n += 1;
      }
      queue.splice(0, n);
      size -= n;
      if (queue.length === 0) queues.delete(device);
    },
    devices: () => [...queues.keys()],
    size: () => size,
    usage: () => ({ readings: size, bytes, maxBytes, refused }),
    async close() {},
  };
}
