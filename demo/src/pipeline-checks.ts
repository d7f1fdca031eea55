/**
 * The whole system's promises as checks, shared by the end-to-end test
 * (pipeline.test.ts) and the fault, load and abuse suite (system/):
 * every reading stored exactly once, each batch charged what its stored
 * readings weigh, and every anchored root rebuilt from the stored rows.
 */
import { computeLoads } from '@qingliu/cloud/accounting/load';
import type { ReadingStore, StoredReading } from '@qingliu/cloud/ports/reading-store';
import { buildReadingTree } from '@qingliu/protocol';
import type { PollutantCode } from '@qingliu/protocol';

/** A run of sequence numbers of one device, both ends inclusive. */
export interface SeqRange {
  device: string;
  first: number;
  last: number;
}

export interface ExactlyOnceTally {
  /** Readings the devices' side produced. */
  produced: number;
  /** Of those, stored at least once. */
  stored: number;
  /** Produced and not stored. */
  lost: number;
  /** Stored rows beyond the first of the same (device, seq). */
  duplicated: number;
  /** Stored (device, seq) that nobody produced. */
  unexpected: number;
  /** A few lost readings, `device/seq`, for the report. */
  lostSample: string[];
}

/** `device/seq`, the identity of a reading. */
export const readingKey = (reading: { device: string; seq: number }): string => `${reading.device}/${reading.seq}`;

/**
 * Compares what the devices produced with what the store holds, by device
 * and sequence number. `stored` lists the seqs of each stored row (a seq
 * twice means the reading was stored twice).
 */
export function tallyExactlyOnce(produced: readonly SeqRange[], stored: ReadonlyMap<string, readonly number[]>): ExactlyOnceTally {
  const copies = new Map<string, Map<number, number>>();
  let duplicated = 0;
  for (const [device, seqs] of stored) {
    const counts = new Map<number, number>();
    for (const seq of seqs) {
      const n = (counts.get(seq) ?? 0) + 1;
      if (n > 1) duplicated += 1;
      counts.set(seq, n);
    }
    copies.set(device, counts);
  }
  const seen = new Set<string>();
  const tally: ExactlyOnceTally = { produced: 0, stored: 0, lost: 0, duplicated, unexpected: 0, lostSample: [] };
  for (const { device, first, last } of produced) {
    const counts = copies.get(device);
    for (let seq = first; seq <= last; seq += 1) {
      const key = `${device}/${seq}`;
      if (seen.has(key)) continue;
      seen.add(key);
      tally.produced += 1;
      if (counts?.has(seq)) tally.stored += 1;
      else {
        tally.lost += 1;
        if (tally.lostSample.length < 10) tally.lostSample.push(key);
      }
    }
  }
  for (const [device, counts] of copies) {
    for (const seq of counts.keys()) if (!seen.has(`${device}/${seq}`)) tally.unexpected += 1;
  }
  return tally;
}

/** The seqs of stored rows by device, for `tallyExactlyOnce`. */
export function seqsByDevice(rows: Iterable<{ device: string; seq: number }>): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const { device, seq } of rows) {
    const list = out.get(device);
    if (list) list.push(seq);
    else out.set(device, [seq]);
  }
  return out;
}

/** `enterprise/pollutant` -> milligrams. */
export type LoadTotals = Map<string, bigint>;

export const loadKey = (enterprise: string, pollutant: PollutantCode): string => `${enterprise}/${pollutant}`;

export interface RecomputedBatch {
  batch: number;
  rows: StoredReading[];
  /** The charged pollutants' loads of the batch, recomputed from its stored rows. */
  loads: LoadTotals;
  /** Concentration samples the load rule left out (flagged, or without a flow). */
  flaggedSamples: number;
}

/**
 * Reads each batch back from the store and recomputes what it should have
 * cost: the same rule as the settler (cloud/src/accounting/load.ts), applied
 * independently to what the store holds now.
 */
export async function recomputeBatches(params: {
  store: Pick<ReadingStore, 'readBatch'>;
  batches: readonly number[];
  sampleIntervalMs: (device: string) => number;
  charged: readonly PollutantCode[];
}): Promise<RecomputedBatch[]> {
  const out: RecomputedBatch[] = [];
  for (const batch of params.batches) {
    const rows = await params.store.readBatch(batch);
    const loads: LoadTotals = new Map();
    let flaggedSamples = 0;
    for (const line of computeLoads({ readings: rows, sampleIntervalMs: params.sampleIntervalMs })) {
      flaggedSamples += line.flaggedSamples;
      if (!params.charged.includes(line.pollutant)) continue;
      const key = loadKey(line.enterprise, line.pollutant);
      loads.set(key, (loads.get(key) ?? 0n) + line.milligrams);
    }
    out.push({ batch, rows, loads, flaggedSamples });
  }
  return out;
}

/** Adds `more` into `into`, key by key. */
export function addLoads(into: LoadTotals, more: ReadonlyMap<string, bigint>): LoadTotals {
  for (const [key, mg] of more) into.set(key, (into.get(key) ?? 0n) + mg);
  return into;
}

export interface RootMismatch {
  batch: number;
  /** Why: `not anchored`, `root`, `reading count`. */
  reason: string;
  expected: string;
  anchored: string;
}

/**
 * For each batch, the Merkle root and reading count rebuilt from its stored
 * rows against what the chain anchored. Returns the batches that differ.
 */
export function rootMismatches(
  batches: readonly Pick<RecomputedBatch, 'batch' | 'rows'>[],
  anchored: ReadonlyMap<number, { root: string; readingCount: number }>,
): RootMismatch[] {
  const out: RootMismatch[] = [];
  for (const { batch, rows } of batches) {
    const onChain = anchored.get(batch);
    const expected = rows.length === 0 ? undefined : buildReadingTree(rows).root;
    if (!onChain) {
      if (expected) out.push({ batch, reason: 'not anchored', expected, anchored: '-' });
      continue;
    }
    if (onChain.readingCount !== rows.length) {
      out.push({ batch, reason: 'reading count', expected: String(rows.length), anchored: String(onChain.readingCount) });
    } else if (expected && onChain.root.toLowerCase() !== expected.toLowerCase()) {
      out.push({ batch, reason: 'root', expected, anchored: onChain.root });
    }
  }
  return out;
}
