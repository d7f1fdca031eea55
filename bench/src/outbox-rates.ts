/**
 * Outbox append and replay rates, disk outbox against the memory outbox (the
 * in-process baseline). Append: `--devices` writers, each appending one poll
 * (`--per-poll` readings) at a time, as the agent does. Replay: the disk
 * outbox is closed and reopened (nothing cached), then drained by peek(500)
 * + ack, device by device, as the publisher does. Prints one JSON line last.
 *
 *   node bench/dist/outbox-rates.js [--readings 100000] [--devices 8] [--per-poll 5]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createMemoryOutbox, openDiskOutbox } from '@qingliu/edge';
import type { Outbox } from '@qingliu/edge';
import type { Reading } from '@qingliu/protocol';

const { values } = parseArgs({
  options: { readings: { type: 'string', default: '100000' }, devices: { type: 'string', default: '8' }, 'per-poll': { type: 'string', default: '5' } },
});
const total = Number(values.readings);
const devices = Number(values.devices);
const perPoll = Number(values['per-poll']);
const pollsPerDevice = Math.ceil(total / devices / perPoll);
const pollutants = ['w00000', 'w01018', 'w21003', 'w01001', 'w21011'] as const;

const reading = (device: number, seq: number): Reading => ({
  enterprise: 'ent-a', outfall: `out-${device}`, device: `dev-${device}`, pollutant: pollutants[seq % 5]!,
  value: 40 + (seq % 97) / 7, unit: 'mg/L', ts: 1_790_000_000_000 + seq * 200, seq, flag: 'N',
});

async function append(outbox: Outbox): Promise<number> {
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: devices }, async (_, d) => {
      for (let p = 0; p < pollsPerDevice; p++) {
        await outbox.append(Array.from({ length: perPoll }, (_, k) => reading(d, p * perPoll + k)));
      }
    }),
  );
  return (devices * pollsPerDevice * perPoll) / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function replay(outbox: Outbox): Promise<number> {
  const start = process.hrtime.bigint();
  let count = 0;
  for (let d = 0; d < devices; d++) {
    for (let i = 0; i < 1_000_000; i++) {
      const batch = await outbox.peek(`dev-${d}`, 500);
      if (batch.length === 0) break;
      await outbox.ack(`dev-${d}`, batch[batch.length - 1]!.seq);
      count += batch.length;
    }
  }
  if (outbox.size() !== 0) throw new Error(`replay left ${outbox.size()} readings`);
  return count / (Number(process.hrtime.bigint() - start) / 1e9);
}

const dir = await mkdtemp(join(tmpdir(), 'qingliu-bench-outbox-'));
try {
  const memory = createMemoryOutbox({ maxBytes: 2 ** 40 });
  const memoryAppend = await append(memory);
  const memoryReplay = await replay(memory);
  let disk = await openDiskOutbox({ dir, maxBytes: 2 ** 40 });
  const diskAppend = await append(disk);
  await disk.close();
  disk = await openDiskOutbox({ dir, maxBytes: 2 ** 40 }); // cold: replayed from the files
  const diskReplay = await replay(disk);
  await disk.close();
  console.log(`readings ${devices * pollsPerDevice * perPoll}, ${devices} devices appending ${perPoll} per call at once, replay by peek(500)+ack`);
  console.log(
    JSON.stringify({
      disk_append_rps: Math.round(diskAppend),
      disk_replay_rps: Math.round(diskReplay),
      memory_append_rps: Math.round(memoryAppend),
      memory_replay_rps: Math.round(memoryReplay),
      append_ratio: Number((diskAppend / memoryAppend).toFixed(4)),
      replay_ratio: Number((diskReplay / memoryReplay).toFixed(4)),
    }),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
