import { crc32 } from 'node:zlib';
import type { Reading } from '@qingliu/protocol';

/**
 * How the disk outbox writes readings: one line per record, a record being
 * the readings of one device from one `append` call, in seq order:
 *
 *   <crc32 of the JSON, 8 hex digits> <JSON array of readings>\n
 *
 * A line whose checksum or JSON does not hold is damaged (a torn write at
 * power loss, a bad sector) and is never handed out.
 */

/** The seqs a record holds: a run (the usual case) or a list. */
export interface RecordSeqs {
  first: number;
  last: number;
  count: number;
  /** Only when the seqs are not consecutive. */
  list?: number[];
}

export function encodeRecord(readings: readonly Reading[]): Buffer {
  const json = JSON.stringify(readings);
  const crc = crc32(json).toString(16).padStart(8, '0');
  return Buffer.from(`${crc} ${json}\n`, 'utf8');
}

/**
 * The readings of one line (without its newline), or undefined when the line
 * is damaged: bad checksum, bad JSON, not an array of readings of one device.
 */
export function decodeRecord(line: string): Reading[] | undefined {
  if (line.length < 11 || line[8] !== ' ') return undefined;
  const json = line.slice(9);
  if (crc32(json).toString(16).padStart(8, '0') !== line.slice(0, 8)) return undefined;
  let readings: unknown;
  try {
    readings = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!Array.isArray(readings) || readings.length === 0) return undefined;
  const device = (readings[0] as Reading).device;
  for (const r of readings as Reading[]) {
    if (typeof r !== 'object' || r === null || r.device !== device || !Number.isSafeInteger(r.seq)) return undefined;
  }
  return readings as Reading[];
}

export function seqsOf(readings: readonly Reading[]): RecordSeqs {
  const first = readings[0]!.seq;
  const last = readings[readings.length - 1]!.seq;
  const count = readings.length;
  let consecutive = last - first + 1 === count;
  for (let i = 1; consecutive && i < count; i++) consecutive = readings[i]!.seq === first + i;
  return consecutive ? { first, last, count } : { first, last, count, list: readings.map((r) => r.seq) };
}

/** How many of the record's readings have seq <= `through`. */
export function countThrough(seqs: RecordSeqs, through: number): number {
  if (through < seqs.first) return 0;
  if (through >= seqs.last) return seqs.count;
  if (!seqs.list) return through - seqs.first + 1;
  let n = 0;
  while (n < seqs.list.length && seqs.list[n]! <= through) n += 1;
  return n;
}
