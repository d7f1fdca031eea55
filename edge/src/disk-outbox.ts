import { mkdir, open, readdir, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { QingliuError } from '@qingliu/protocol';
import type { Reading } from '@qingliu/protocol';
import { syncDir } from './fs-sync.js';
import { AckLog } from './outbox-ack-log.js';
import { takeDirLock } from './outbox-lock.js';
import { countThrough, decodeRecord, encodeRecord, seqsOf } from './outbox-record.js';
import type { RecordSeqs } from './outbox-record.js';
import { OUTBOX_FULL_REASON } from './outbox.js';
import type { Outbox, OutboxUsage } from './outbox.js';

/** Defaults of the disk outbox; the comments give the units. */
export const DISK_OUTBOX_DEFAULTS = {
  /** Most bytes the segment files may take together, bytes (512 MiB: ~3M readings). */
  maxBytes: 512 * 1024 * 1024,
  /** A segment past this size is closed and a new one begun, bytes. */
  segmentBytes: 4 * 1024 * 1024,
  /** Readings kept parsed in memory beside the files, so a fresh reading is sent without a disk read. */
  cacheReadings: 20_000,
} as const;

export interface DiskOutboxParameters {
  /** The outbox folder (made if missing). One agent per folder: it is locked while open. */
  dir: string;
  maxBytes?: number;
  segmentBytes?: number;
  cacheReadings?: number;
  logger?: Logger;
}

export interface DiskOutbox extends Outbox {
  /** Damaged records skipped and torn tails cut when the outbox was opened. */
  readonly recovered: { damagedRecords: number; tornBytes: number };
}

interface Segment {
  id: number;
  path: string;
  handle: FileHandle;
  bytes: number;
  /** Highest seq per device in this segment: the segment goes once all are acknowledged. */
  maxSeq: Map<string, number>;
}

interface RecordRef {
  segment: Segment;
  position: number;
  length: number;
  seqs: RecordSeqs;
  cached: Reading[] | undefined;
}

interface PendingAppend {
  groups: { device: string; readings: Reading[]; buffer: Buffer }[];
  bytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const SEGMENT_NAME = /^seg-(\d{12})\.log$/;
const segmentName = (id: number): string => `seg-${String(id).padStart(12, '0')}.log`;

/**
 * An outbox in append-only segment files that survives kill -9 and power loss.
 *
 * Fsync policy: an `append` resolves only after its records are written and
 * fdatasync'd; appends that arrive while a sync is running share the next
 * one (group commit). A new segment file is followed by an fsync of the
 * folder. An `ack` resolves after its line in `acks.log` is fdatasync'd.
 * Segments whose readings are all acknowledged are deleted.
 *
 * Full policy: see the Outbox port; `maxBytes` bounds the segment files.
 */
export async function openDiskOutbox(params: DiskOutboxParameters): Promise<DiskOutbox> {
  const { dir } = params;
  const maxBytes = params.maxBytes ?? DISK_OUTBOX_DEFAULTS.maxBytes;
  const segmentBytes = Math.min(params.segmentBytes ?? DISK_OUTBOX_DEFAULTS.segmentBytes, maxBytes);
  const cacheLimit = params.cacheReadings ?? DISK_OUTBOX_DEFAULTS.cacheReadings;
  const logger = params.logger ?? pino({ enabled: false });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const lock = await takeDirLock(dir);

  let acks: AckLog;
  const segments: Segment[] = [];
  const queues = new Map<string, RecordRef[]>();
  const recovered = { damagedRecords: 0, tornBytes: 0 };
  let waiting = 0;
  let totalBytes = 0;
  let reservedBytes = 0;
  let refused = 0;
  let cached = 0;
  let closed = false;

  const enqueue = (device: string, ref: RecordRef): void => {
    const last = ref.segment.maxSeq.get(device) ?? -1;
    if (ref.seqs.last > last) ref.segment.maxSeq.set(device, ref.seqs.last);
    if (ref.seqs.last <= acks.through(device)) return; // acknowledged before a restart
    let queue = queues.get(device);
    if (!queue) queues.set(device, (queue = []));
    queue.push(ref);
    waiting += ref.seqs.count - countThrough(ref.seqs, acks.through(device));
  };

  try {
    acks = await AckLog.open(dir);
    const ids = (await readdir(dir))
      .map((name) => SEGMENT_NAME.exec(name)?.[1])
      .filter((id): id is string => id !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    for (const id of ids) segments.push(await loadSegment(id));
    const last = segments[segments.length - 1];
    if (!last || last.bytes >= segmentBytes) segments.push(await createSegment((last?.id ?? 0) + 1));
    for (const segment of segments.slice(0, -1)) if (isAcked(segment)) await removeSegment(segment);
  } catch (error) {
    await lock.release();
    throw new QingliuError('STORE_UNAVAILABLE', `cannot open the disk outbox in ${dir}`, { cause: error });
  }
  if (recovered.damagedRecords > 0 || recovered.tornBytes > 0) {
    logger.warn({ dir, ...recovered }, 'disk outbox: damaged records skipped on open');
  }
  logger.info({ dir, waiting, bytes: totalBytes, segments: segments.length }, 'disk outbox open');

  async function loadSegment(id: number): Promise<Segment> {
    const path = join(dir, segmentName(id));
    const handle = await open(path, 'a+');
    const content = await handle.readFile();
    const segment: Segment = { id, path, handle, bytes: content.length, maxSeq: new Map() };
    let position = 0;
    while (position < content.length) {
      const end = content.indexOf(0x0a, position);
      if (end < 0) {
        // A write the process or the power cut short: it was never acknowledged to the caller.
        recovered.tornBytes += content.length - position;
        await handle.truncate(position);
        segment.bytes = position;
        break;
      }
      const readings = decodeRecord(content.toString('utf8', position, end));
      if (readings) {
        enqueue(readings[0]!.device, { segment, position, length: end - position + 1, seqs: seqsOf(readings), cached: undefined });
      } else {
        recovered.damagedRecords += 1;
      }
      position = end + 1;
    }
    totalBytes += segment.bytes;
    return segment;
  }

  async function createSegment(id: number): Promise<Segment> {
    const path = join(dir, segmentName(id));
    const handle = await open(path, 'a+', 0o600);
    await syncDir(dir);
    return { id, path, handle, bytes: 0, maxSeq: new Map() };
  }

  async function removeSegment(segment: Segment): Promise<void> {
    const i = segments.indexOf(segment);
    if (i >= 0) segments.splice(i, 1);
    totalBytes -= segment.bytes;
    await segment.handle.close();
    await unlink(segment.path);
  }

  function isAcked(segment: Segment): boolean {
    for (const [device, seq] of segment.maxSeq) if (seq > acks.through(device)) return false;
    return true;
  }

  const active = (): Segment => segments[segments.length - 1]!;

  // Group commit: one writer at a time; appends queued meanwhile share its next write and sync.
  const pending: PendingAppend[] = [];
  let writing: Promise<void> | undefined;
  // File changes (writes, rolls, deletions) one at a time.
  let fileChain: Promise<void> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = fileChain.then(work);
    fileChain = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  };

  async function roll(): Promise<void> {
    const old = active();
    segments.push(await createSegment(old.id + 1));
    if (isAcked(old)) await removeSegment(old);
  }

  async function flush(): Promise<void> {
    while (pending.length > 0) {
      const batch = pending.splice(0);
      const bytes = batch.reduce((sum, p) => sum + p.bytes, 0);
      try {
        await serial(async () => {
          if (active().bytes > 0 && active().bytes + bytes > segmentBytes) await roll();
          const segment = active();
          const buffer = Buffer.concat(batch.flatMap((p) => p.groups.map((g) => g.buffer)), bytes);
          let written = 0;
          while (written < buffer.length) {
            const { bytesWritten } = await segment.handle.write(buffer, written, buffer.length - written);
            written += bytesWritten;
          }
          await segment.handle.datasync();
          let position = segment.bytes;
          segment.bytes += bytes;
          totalBytes += bytes;
          for (const p of batch) {
            for (const g of p.groups) {
              const keep = cached + g.readings.length <= cacheLimit;
              if (keep) cached += g.readings.length;
              enqueue(g.device, { segment, position, length: g.buffer.length, seqs: seqsOf(g.readings), cached: keep ? g.readings : undefined });
              position += g.buffer.length;
            }
          }
        });
        for (const p of batch) p.resolve();
      } catch (error) {
        const failure = new QingliuError('STORE_UNAVAILABLE', `disk outbox write failed in ${dir}`, { retryable: true, cause: error });
        for (const p of batch) p.reject(failure);
        // The segment may end in a partial record: continue in a fresh one (the partial line is skipped on open).
        await serial(roll).catch((rollError: unknown) => logger.error({ err: rollError }, 'disk outbox: cannot start a new segment'));
      } finally {
        reservedBytes -= bytes;
      }
    }
  }

  function scheduleFlush(): void {
    if (writing) return;
    writing = flush().finally(() => {
      writing = undefined;
      // Appends made between the writer's last look and now.
      if (pending.length > 0) scheduleFlush();
    });
  }

  async function readRecords(refs: RecordRef[]): Promise<Reading[][]> {
    const out: Reading[][] = [];
    let i = 0;
    while (i < refs.length) {
      const ref = refs[i]!;
      if (ref.cached) {
        out.push(ref.cached);
        i += 1;
        continue;
      }
      // Records side by side in one segment (a device's backlog) are read in one go.
      let j = i + 1;
      let length = ref.length;
      while (j < refs.length && !refs[j]!.cached && refs[j]!.segment === ref.segment && refs[j]!.position === ref.position + length) {
        length += refs[j]!.length;
        j += 1;
      }
      const buffer = Buffer.allocUnsafe(length);
      const { bytesRead } = await ref.segment.handle.read(buffer, 0, length, ref.position);
      if (bytesRead !== length) throw new QingliuError('STORE_UNAVAILABLE', `disk outbox: short read in ${ref.segment.path}`, { retryable: true });
      let offset = 0;
      for (let k = i; k < j; k++) {
        const r = refs[k]!;
        const readings = decodeRecord(buffer.toString('utf8', offset, offset + r.length - 1));
        if (!readings) throw new QingliuError('STORE_UNAVAILABLE', `disk outbox: record damaged on disk in ${r.segment.path}`);
        out.push(readings);
        offset += r.length;
      }
      i = j;
    }
    return out;
  }

  const usage = (): OutboxUsage => ({ readings: waiting, bytes: totalBytes, maxBytes, refused });

  return {
    recovered,
    append(readings) {
      if (closed) return Promise.reject(new QingliuError('STORE_UNAVAILABLE', 'disk outbox is closed'));
      if (readings.length === 0) return Promise.resolve();
      const byDevice = new Map<string, Reading[]>();
      for (const reading of readings) {
        const group = byDevice.get(reading.device);
        if (group) group.push(reading);
        else byDevice.set(reading.device, [reading]);
      }
      const groups = [...byDevice].map(([device, rs]) => ({ device, readings: rs, buffer: encodeRecord(rs) }));
      const bytes = groups.reduce((sum, g) => sum + g.buffer.length, 0);
      if (totalBytes + reservedBytes + bytes > maxBytes) {
        refused += readings.length;
        return Promise.reject(
          new QingliuError('OUTBOX_FULL', `${OUTBOX_FULL_REASON}: ${totalBytes} of ${maxBytes} bytes used in ${dir}`, {
            retryable: true,
          }),
        );
      }
      reservedBytes += bytes;
      return new Promise<void>((resolve, reject) => {
        pending.push({ groups, bytes, resolve, reject });
        scheduleFlush();
      });
    },
    async peek(device, max) {
      const queue = queues.get(device) ?? [];
      const through = acks.through(device);
      const refs: RecordRef[] = [];
      let count = 0;
      for (const ref of queue) {
        if (count >= max) break;
        refs.push(ref);
        count += ref.seqs.count - countThrough(ref.seqs, through);
      }
      const out: Reading[] = [];
      for (const readings of await readRecords(refs)) {
        for (const reading of readings) if (reading.seq > through && out.length < max) out.push(reading);
      }
      return out;
    },
    async ack(device, throughSeq) {
      const queue = queues.get(device);
      const before = acks.through(device);
      if (!queue || throughSeq <= before || countThrough(queue[0]!.seqs, throughSeq) === countThrough(queue[0]!.seqs, before)) return;
      await acks.record(device, throughSeq);
      let n = 0;
      while (n < queue.length && queue[n]!.seqs.last <= throughSeq) {
        const ref = queue[n]!;
        waiting -= ref.seqs.count - countThrough(ref.seqs, before);
        if (ref.cached) cached -= ref.cached.length;
        n += 1;
      }
      if (n < queue.length) waiting -= countThrough(queue[n]!.seqs, throughSeq) - countThrough(queue[n]!.seqs, before);
      queue.splice(0, n);
      if (queue.length === 0) queues.delete(device);
      await serial(async () => {
        for (const segment of segments.slice(0, -1)) if (isAcked(segment)) await removeSegment(segment);
        // An acknowledged active segment is replaced once it is worth a file, or when space runs short.
        const current = active();
        if (current.bytes > 0 && isAcked(current) && (current.bytes >= segmentBytes / 8 || totalBytes >= maxBytes / 2)) await roll();
      });
    },
    devices: () => [...queues.keys()],
    size: () => waiting,
    usage,
    async close() {
      if (closed) return;
      closed = true;
      await writing;
      await fileChain;
      await acks.close();
      for (const segment of segments) await segment.handle.close();
      await lock.release();
    },
  };
}
