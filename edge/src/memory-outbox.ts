import type { Reading } from '@qingliu/protocol';
import type { Outbox } from './outbox.js';

/** An outbox in memory: fast, and lost with the process. The disk outbox keeps the same contract. */
export function createMemoryOutbox(): Outbox {
  const queues = new Map<string, Reading[]>();
  let size = 0;
  return {
    async append(readings) {
      for (const reading of readings) {
        let queue = queues.get(reading.device);
        if (!queue) queues.set(reading.device, (queue = []));
        queue.push(reading);
        size += 1;
      }
    },
    async peek(device, max) {
      return (queues.get(device) ?? []).slice(0, max);
    },
    async ack(device, throughSeq) {
      const queue = queues.get(device);
      if (!queue) return;
      let n = 0;
      while (n < queue.length && queue[n]!.seq <= throughSeq) n += 1;
      queue.splice(0, n);
      size -= n;
      if (queue.length === 0) queues.delete(device);
    },
    devices: () => [...queues.keys()],
    size: () => size,
    async close() {},
  };
}
