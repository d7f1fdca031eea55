import { parentPort } from 'node:worker_threads';

/**
 * The verify worker, but the thread dies (exits, as on a crash) on any message
 * whose readings have the unit "die": for the pool's test. The worker's own
 * message listener is wrapped, so no message reaches the thread before it.
 */
const port = parentPort!;
const on = port.on.bind(port);
port.on = ((event: string, listener: (message: unknown) => void) =>
  on(event, (message: unknown) => {
    if (typeof message === 'object' && message !== null && 'bytes' in message && Buffer.from(message.bytes as Uint8Array).includes('"unit":"die"')) process.exit(3);
    listener(message);
  })) as typeof port.on;
await import('../ingest/verify-worker.js');
