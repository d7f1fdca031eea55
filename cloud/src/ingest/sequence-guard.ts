import type { Reading } from '@qingliu/protocol';

/**
 * Sorts readings by (device, seq) against the highest seq stored per device.
 * Devices send in sequence order, so a reading above it is new for sure (the
 * fast path, no look-up). One at or below it may be a replay, or a message
 * redelivered after another ingester of a shared subscription died: those
 * the ingester looks up in the store. Seed it from the store on start.
 */
/** Whether each seq is above the one before it, the first above `after`. */
export function strictlyIncreasing(seqs: ArrayLike<number>, after = Number.NEGATIVE_INFINITY): boolean {
  let last = after;
  for (let i = 0; i < seqs.length; i += 1) {
    const seq = seqs[i]!;
    if (!(seq > last)) return false;
    last = seq;
  }
  return true;
}

export class SequenceGuard {
  readonly #highest: Map<string, number>;

  constructor(highest: ReadonlyMap<string, number> = new Map()) {
    this.#highest = new Map(highest);
  }

  /**
   * Splits readings into those above the device's highest stored seq (and
   * above any earlier one in the same call) and those that must be looked up.
   * Records nothing.
   */
  split<R extends Reading>(readings: readonly R[]): { fresh: R[]; toCheck: R[] } {
    const fresh: R[] = [];
    const toCheck: R[] = [];
    const highest = new Map<string, number>();
    for (const reading of readings) {
      const seen = highest.get(reading.device) ?? this.#highest.get(reading.device) ?? -1;
      if (reading.seq > seen) {
        fresh.push(reading);
        highest.set(reading.device, reading.seq);
      } else {
        toCheck.push(reading);
      }
    }
    return { fresh, toCheck };
  }

  /**
   * Whether every seq of one message of `device` is new for sure: above the device's highest
   * stored seq, and each above the one before it. Records nothing.
   */
  allFresh(device: string, seqs: ArrayLike<number>): boolean {
    return strictlyIncreasing(seqs, this.#highest.get(device) ?? -1);
  }

  /** Records seqs of one device as stored. */
  commitSeqs(device: string, seqs: ArrayLike<number>): void {
    let highest = this.#highest.get(device) ?? -1;
    for (let i = 0; i < seqs.length; i += 1) if (seqs[i]! > highest) highest = seqs[i]!;
    this.#highest.set(device, highest);
  }

  highest(device: string): number | undefined {
    return this.#highest.get(device);
  }
}
