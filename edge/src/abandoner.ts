/**
 * Lets `close()` abandon whatever a component is awaiting (a Modbus answer
 * that may never come, a connect that hangs).
 *
 * Not a `Promise.race` against one long-lived "closing" promise: each race
 * leaves a reaction on the pending promise that holds the raced value until
 * that promise settles, so a poller racing every request against it kept
 * every Modbus answer (Buffer included) for its whole life, about 2,000 a
 * second in the acquisition benchmark. Here each wait registers its own
 * reject and removes it when it settles.
 */
export interface Abandoner {
  /** Settles like `promise`, unless `abandon` comes first: then rejects with its reason. */
  guard<T>(promise: Promise<T>): Promise<T>;
  /** Rejects every pending guard, and every later one at once, with `reason`. */
  abandon(reason: Error): void;
  /** Guards not settled yet. */
  pending(): number;
}

export function createAbandoner(): Abandoner {
  const waits = new Set<(reason: Error) => void>();
  let abandoned: Error | undefined;
  return {
    guard<T>(promise: Promise<T>): Promise<T> {
      if (abandoned) return Promise.reject(abandoned);
      return new Promise<T>((resolve, reject) => {
        waits.add(reject);
        promise.then(
          (value) => {
            waits.delete(reject);
            resolve(value);
          },
          (error: unknown) => {
            waits.delete(reject);
            reject(error);
          },
        );
      });
    },
    abandon(reason) {
      abandoned = reason;
      for (const reject of waits) reject(reason);
      waits.clear();
    },
    pending: () => waits.size,
  };
}
