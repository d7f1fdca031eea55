import type { Reading } from '@qingliu/protocol';
import type { DedupeIndex } from '../ports/dedupe-index.js';
import type { ReadingEncoder } from '../ports/reading-encoder.js';
import type { IngestJournal, JournalAppend } from './ingest-journal.js';
import { SequenceGuard, strictlyIncreasing } from './sequence-guard.js';
import type { VerifiedMessage } from './verify-pool.js';

export interface DedupeParameters {
  index: DedupeIndex;
  /** The write-ahead journal, if any: what it holds is taken already. */
  journal: IngestJournal | undefined;
  /**
   * Other ingesters share the subscription: this one's memory of a device's highest seq is not
   * the store's, so every message is looked up (without parsing it while none of it is known).
   */
  othersInGroup: boolean;
  /** For the part of a message that is new (the verify threads encoded the whole). */
  encode: ReadingEncoder;
  /** Asks the index until it answers (write.ts). */
  ask: <T>(call: () => Promise<T>) => Promise<T>;
  /** Counts readings dropped as stored already. */
  onDuplicates: (count: number) => void;
}

/**
 * Drops readings stored already, by (device, seq). A reading above its device's highest taken seq
 * is new for sure (the fast path, no look-up: devices send in seq order); one at or below it is
 * looked up in the journal, then the index.
 */
export interface Dedupe {
  /** The message's new readings, encoded (as the verify thread encoded them when all are new); undefined when none is. */
  newPart(message: VerifiedMessage): Promise<JournalAppend | undefined>;
  /** Of readings, those neither stored nor (unless `inJournal` says otherwise) journaled. */
  notStoredYet<R extends Reading>(readings: R[], inJournal?: (r: Reading) => boolean): Promise<R[]>;
  /** Records a device's seqs as taken. */
  commit(device: string, seqs: ArrayLike<number>): void;
  /** Runs `work` after every earlier call for the device has ended: two copies of a batch on two connections cannot both pass. */
  oneAtATime<T>(device: string, work: () => Promise<T>): Promise<T>;
}

/** Seeds the dedupe from the index (asked until it answers) and the journal. */
export async function createDedupe(params: DedupeParameters): Promise<Dedupe> {
  const { index, journal, ask } = params;
  const highest = await ask(() => index.highestSequences());
  for (const [device, seq] of journal?.highestPending() ?? []) highest.set(device, Math.max(highest.get(device) ?? -1, seq));
  const guard = new SequenceGuard(highest);
  const journaled = (r: Reading): boolean => journal?.holds(r.device, r.seq) ?? false;

  async function notStoredYet<R extends Reading>(readings: R[], inJournal = journaled): Promise<R[]> {
    const byDevice = new Map<string, R[]>();
    for (const r of readings) byDevice.set(r.device, [...(byDevice.get(r.device) ?? []), r]);
    const out: R[] = [];
    for (const [device, list] of byDevice) {
      // The journal first: while the index is asked, the journal writer may move an entry into the store,
      // and a reading asked of both in the other order would then be in neither.
      const held = new Set(list.filter((r) => inJournal(r)).map((r) => r.seq));
      const times = list.map((r) => r.ts);
      const stored = await ask(() => index.storedSequences(device, Math.min(...times), Math.max(...times)));
      const seen = new Set<number>();
      for (const r of list) {
        if (!stored.has(r.seq) && !seen.has(r.seq) && !held.has(r.seq)) out.push(r);
        seen.add(r.seq);
      }
    }
    return out;
  }

  /** Whether no seq of a message is journaled or stored (asked in that order, as in `notStoredYet`). */
  async function noneKnown({ device, seqs, encoded }: VerifiedMessage): Promise<boolean> {
    if (journal && seqs.some((seq) => journal.holds(device, seq))) return false;
    const stored = await ask(() => index.storedSequences(device, encoded.fromMs, encoded.toMs));
    return !seqs.some((seq) => stored.has(seq));
  }

  const locks = new Map<string, Promise<unknown>>();
  return {
    notStoredYet,
    async newPart(message) {
      const whole: JournalAppend = { encoded: message.encoded, seqs: message.seqs, message: message.text, readings: message.readings };
      if (params.othersInGroup ? strictlyIncreasing(message.seqs) && (await noneKnown(message)) : guard.allFresh(message.device, message.seqs)) {
        return whole;
      }
      const readings = message.readings();
      const split = params.othersInGroup ? { fresh: [], toCheck: readings } : guard.split(readings);
      // A seq the message carries twice (both copies pass: neither is stored yet) is taken once.
      const taken = new Set(split.fresh.map((r) => r.seq));
      const fresh = [...split.fresh, ...(await notStoredYet(split.toCheck)).filter((r) => !taken.has(r.seq))];
      params.onDuplicates(readings.length - fresh.length);
      if (fresh.length === 0) return undefined;
      if (fresh.length === readings.length) return whole;
      return { encoded: params.encode(fresh), seqs: Float64Array.from(fresh, (r) => r.seq), readings: () => fresh };
    },
    commit: (device, seqs) => guard.commitSeqs(device, seqs),
    oneAtATime(device, work) {
      const next = (locks.get(device) ?? Promise.resolve()).then(work, work);
      const settled = next.catch(() => undefined);
      locks.set(device, settled);
      void settled.then(() => {
        if (locks.get(device) === settled) locks.delete(device);
      });
      return next;
    },
  };
}
