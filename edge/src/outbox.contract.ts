import { isQingliuError } from '@qingliu/protocol';
import type { Reading } from '@qingliu/protocol';
import type { Outbox } from './outbox.js';

export const contractReading = (device: string, seq: number): Reading => ({
  enterprise: 'ent-a',
  outfall: 'out-1',
  device,
  pollutant: 'w01018',
  value: seq / 10,
  unit: 'mg/L',
  ts: 1_790_000_000_000 + seq * 1000,
  seq,
  flag: 'N',
});
const reading = contractReading;

export interface OutboxContractFactory {
  /** A fresh, empty outbox bounded by `maxBytes` when given. */
  create(options?: { maxBytes?: number }): Promise<Outbox>;
  /**
   * Durable outboxes only: opens again, on the same storage, the outbox the
   * last `create` made (the suite has closed it). Its presence adds the
   * durability cases.
   */
  reopen?: () => Promise<Outbox>;
}

/**
 * The behaviour every Outbox implementation must show. Each implementation's
 * test file calls this with a factory for fresh, empty outboxes.
 */
export function describeOutboxContract(name: string, factory: OutboxContractFactory): void {
  describe(`${name} keeps the outbox contract`, () => {
    let outbox: Outbox;
    beforeEach(async () => {
      outbox = await factory.create();
    });
    afterEach(async () => {
      await outbox.close();
    });

    it('gives back readings per device in the order they came, without removing them', async () => {
      await outbox.append([reading('d1', 1), reading('d2', 1), reading('d1', 2)]);
      await outbox.append([reading('d1', 3)]);
      expect((await outbox.peek('d1', 10)).map((r) => r.seq)).toEqual([1, 2, 3]);
      expect((await outbox.peek('d1', 2)).map((r) => r.seq)).toEqual([1, 2]);
      expect(await outbox.peek('d1', 10)).toHaveLength(3);
      expect(outbox.size()).toBe(4);
      expect(outbox.devices().sort()).toEqual(['d1', 'd2']);
    });

    it('removes only what was acknowledged, and only for that device', async () => {
      await outbox.append([reading('d1', 1), reading('d1', 2), reading('d1', 3), reading('d2', 1)]);
      await outbox.ack('d1', 2);
      expect((await outbox.peek('d1', 10)).map((r) => r.seq)).toEqual([3]);
      expect((await outbox.peek('d2', 10)).map((r) => r.seq)).toEqual([1]);
      expect(outbox.size()).toBe(2);
      await outbox.ack('d1', 3);
      expect(outbox.devices()).toEqual(['d2']);
    });

    it('keeps the readings whole: what comes out equals what went in', async () => {
      const r = { ...reading('d1', 7), value: 0.30000000000000004, flag: 'M' as const };
      await outbox.append([r]);
      expect(await outbox.peek('d1', 1)).toEqual([r]);
    });

    it('treats an acknowledgement of an unknown device or of nothing as a no-op', async () => {
      await outbox.append([reading('d1', 5)]);
      await outbox.ack('d9', 100);
      await outbox.ack('d1', 4);
      expect(outbox.size()).toBe(1);
    });

    it('keeps order across many appends running at once', async () => {
      await Promise.all(Array.from({ length: 50 }, (_, i) => outbox.append([reading('d1', i * 2), reading('d1', i * 2 + 1)])));
      expect((await outbox.peek('d1', 1000)).map((r) => r.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i));
      expect(outbox.usage()).toMatchObject({ readings: 100, refused: 0 });
    });

    it('when full, refuses whole appends with a retryable error, counts them, evicts nothing, and takes readings again after acks', async () => {
      await outbox.close();
      outbox = await factory.create({ maxBytes: 4096 });
      let accepted = 0;
      let refusal: unknown;
      for (let seq = 0; seq < 1000 && refusal === undefined; seq++) {
        try {
          await outbox.append([reading('d1', seq)]);
          accepted += 1;
        } catch (error) {
          refusal = error;
        }
      }
      expect(accepted).toBeGreaterThanOrEqual(5);
      expect(isQingliuError(refusal, 'OUTBOX_FULL') && refusal.retryable).toBe(true);
      await expect(outbox.append([reading('d1', 2000), reading('d1', 2001)])).rejects.toMatchObject({ code: 'OUTBOX_FULL' });
      expect(outbox.usage()).toMatchObject({ readings: accepted, refused: 3, maxBytes: 4096 });
      expect(outbox.usage().bytes).toBeLessThanOrEqual(4096);
      expect((await outbox.peek('d1', 1000)).map((r) => r.seq)).toEqual(Array.from({ length: accepted }, (_, i) => i));

      await outbox.ack('d1', accepted - 1);
      expect(outbox.size()).toBe(0);
      await outbox.append([reading('d1', 3000)]);
      expect((await outbox.peek('d1', 10)).map((r) => r.seq)).toEqual([3000]);
    });

    if (factory.reopen) {
      const reopen = factory.reopen;
      describe('durably', () => {
        it('keeps what waits across close and reopen, in order per device', async () => {
          await outbox.append([reading('d1', 1), reading('d2', 10), reading('d1', 2)]);
          await outbox.append([reading('d1', 3)]);
          await outbox.close();
          outbox = await reopen();
          expect((await outbox.peek('d1', 10)).map((r) => r.seq)).toEqual([1, 2, 3]);
          expect(await outbox.peek('d2', 10)).toEqual([reading('d2', 10)]);
          expect(outbox.size()).toBe(4);
        });

        it('does not bring back what was acknowledged before close', async () => {
          await outbox.append([reading('d1', 1), reading('d1', 2), reading('d1', 3), reading('d2', 1)]);
          await outbox.ack('d1', 2);
          await outbox.ack('d2', 1);
          await outbox.close();
          outbox = await reopen();
          expect((await outbox.peek('d1', 10)).map((r) => r.seq)).toEqual([3]);
          expect(outbox.devices()).toEqual(['d1']);
          expect(outbox.size()).toBe(1);
        });

        it('appends after a reopen behind what was kept', async () => {
          await outbox.append([reading('d1', 1)]);
          await outbox.close();
          outbox = await reopen();
          await outbox.append([reading('d1', 10_001)]);
          expect((await outbox.peek('d1', 10)).map((r) => r.seq)).toEqual([1, 10_001]);
          await outbox.ack('d1', 1);
          await outbox.close();
          outbox = await reopen();
          expect((await outbox.peek('d1', 10)).map((r) => r.seq)).toEqual([10_001]);
        });
      });
    }
  });
}
