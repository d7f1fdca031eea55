import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createAbandoner } from './abandoner.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Whether an answer is still reachable after it was awaited through `wait` and dropped. */
async function keptAfterAwait(wait: (answer: Promise<object>) => Promise<object>): Promise<boolean> {
  let ref: WeakRef<object> | undefined;
  await (async () => {
    const answer = { data: [1, 2, 3], buffer: Buffer.alloc(64) };
    ref = new WeakRef(answer);
    await wait(Promise.resolve(answer));
  })();
  // A WeakRef keeps its target until the current job ends.
  await new Promise((resolve) => setTimeout(resolve, 0));
  gc();
  return ref!.deref() !== undefined;
}

describe('abandoner', () => {
  it('keeps nothing of an answer once its guard settled (where a race against a pending promise keeps each one)', async () => {
    const abandoner = createAbandoner();
    expect(await keptAfterAwait((answer) => abandoner.guard(answer))).toBe(false);
    expect(abandoner.pending()).toBe(0);
    // The control: the pattern it replaces does hold the answer, so the check above can fail.
    const never = new Promise<never>(() => undefined);
    expect(await keptAfterAwait((answer) => Promise.race([answer, never]))).toBe(true);
  });

  it('rejects what is pending on abandon, and every later guard at once', async () => {
    const abandoner = createAbandoner();
    const hung = abandoner.guard(new Promise(() => undefined));
    const answered = abandoner.guard(Promise.resolve('answer'));
    expect(abandoner.pending()).toBe(2);
    await expect(answered).resolves.toBe('answer');
    abandoner.abandon(new Error('closed'));
    await expect(hung).rejects.toThrow('closed');
    await expect(abandoner.guard(Promise.resolve(1))).rejects.toThrow('closed');
    expect(abandoner.pending()).toBe(0);
  });

  it('passes a rejection through', async () => {
    const abandoner = createAbandoner();
    await expect(abandoner.guard(Promise.reject(new Error('timed out')))).rejects.toThrow('timed out');
    expect(abandoner.pending()).toBe(0);
  });
});
