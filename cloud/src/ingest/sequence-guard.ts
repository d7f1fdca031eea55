import type { Reading } from '@qingliu/protocol';

/**
 * Sorts readings by (device, seq) against the highest seq stored per device.
 * Devices send in sequence order, so a reading above it is new for sure (the
 * fast path, no look-up). One at or below it may be a replay, or a message
 * redelivered after another ingester of a shared subscription died: those
 * the ingester looks up in the store. Seed it from the store on start.
 */
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
  split(readings: readonly Reading[]): { fresh: Reading[]; toCheck: Reading[] } {
    const fresh: Reading[] = [];
    const toCheck: Reading[] = [];
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

  /** Records readings as stored. */
  commit(readings: readonly Reading[]): void {
    for (const reading of readings) {
      if (reading.seq > (this.#highest.get(reading.device) ?? -1)) {
        this.#highest.set(reading.device, reading.seq);
      }
    }
  }

  highest(device: string): number | undefined {
    return this.#highest.get(device);
  }
}
