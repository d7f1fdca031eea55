/**
 * The settlement-batch clock: a message belongs to the period it arrives in, and a batch stays
 * open while any of its messages is still being checked or waits for the store.
 */
export interface BatchClock {
  /** The settlement batch a reading arriving now belongs to. */
  current(): number;
  /** Counts one more piece of work of `batch` under way (a message being checked, a journal entry not yet stored). */
  open(batch: number): void;
  /** Counts one piece of work of `batch` done. */
  done(batch: number): void;
  /** The highest batch, before the current one, with no work under way in it or before it. */
  writtenThrough(): number;
  /** Resolves once no work of `batch` or an earlier one is under way. */
  writesSettled(batch: number): Promise<void>;
}

export interface BatchClockParameters {
  /** Length of a settlement period, milliseconds. */
  periodMs: number;
  /** The wall clock, ms since the epoch. */
  now: () => number;
}

export function createBatchClock({ periodMs, now }: BatchClockParameters): BatchClock {
  const pending = new Map<number, number>();
  const waiters: { batch: number; resolve: () => void }[] = [];
  const current = (): number => Math.floor(now() / periodMs);
  const hasPendingUpTo = (batch: number): boolean => [...pending.keys()].some((b) => b <= batch);

  return {
    current,
    open(batch) {
      pending.set(batch, (pending.get(batch) ?? 0) + 1);
    },
    done(batch) {
      const left = (pending.get(batch) ?? 1) - 1;
      if (left === 0) pending.delete(batch);
      else pending.set(batch, left);
      for (let i = waiters.length - 1; i >= 0; i -= 1) {
        const waiter = waiters[i]!;
        if (!hasPendingUpTo(waiter.batch)) {
          waiters.splice(i, 1);
          waiter.resolve();
        }
      }
    },
    writtenThrough() {
      let lowest = current();
      for (const b of pending.keys()) if (b < lowest) lowest = b;
      return lowest - 1;
    },
    writesSettled(batch) {
      if (!hasPendingUpTo(batch)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ batch, resolve }));
    },
  };
}
