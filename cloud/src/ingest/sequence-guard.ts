import type { Reading } from '@qingliu/protocol';

/**
 * Drops readings already seen, by (device, seq). Devices send their readings
 * in sequence order, so the highest stored sequence number per device is the
 * whole state. Seed it from the store to survive a restart.
 */
export class SequenceGuard {
  readonly #highest: Map<string, number>;

  constructor(highest: ReadonlyMap<string, number> = new Map()) {
    this.#highest = new Map(highest);
  }

  /** The readings of `readings` not yet seen, in order. Does not record them. */
  fresh(readings: readonly Reading[]): Reading[] {
    const out: Reading[] = [];
    const highest = new Map<string, number>();
    for (const reading of readings) {
      const seen = highest.get(reading.device) ?? this.#highest.get(reading.device) ?? -1;
      if (reading.seq > seen) {
        out.push(reading);
        highest.set(reading.device, reading.seq);
      }
    }
    return out;
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
