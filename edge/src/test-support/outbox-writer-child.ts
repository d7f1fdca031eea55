/**
 * A child process for the kill -9 test: appends readings to a disk outbox
 * one poll at a time and prints `durable <lastSeq>` on stdout (a synchronous
 * write) after each append resolved, until it is killed.
 *
 *   node outbox-writer-child.js <dir> <device> <firstSeq>
 */
import { writeSync } from 'node:fs';
import { openDiskOutbox } from '../disk-outbox.js';
import { contractReading } from '../outbox.contract.js';

const [dir, device, first] = process.argv.slice(2);
const outbox = await openDiskOutbox({ dir: dir!, segmentBytes: 16 * 1024 });
let seq = Number(first);
// Bounded: the test kills it long before; it stops by itself after 30 s or 100,000 appends.
const deadline = Date.now() + 30_000;
for (let i = 0; i < 100_000 && Date.now() < deadline; i++) {
  const readings = Array.from({ length: 5 }, (_, k) => contractReading(device!, seq + k));
  await outbox.append(readings);
  seq += 5;
  writeSync(1, `durable ${seq - 1}\n`);
  if (i % 7 === 0) await outbox.ack(device!, seq - 20);
}
await outbox.close();
