import type { Reading } from '@qingliu/protocol';
import type { Outbox } from './outbox.js';

const reading = (device: string, seq: number): Reading => ({
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

/**
 * The behaviour every Outbox implementation must show. Each implementation's
 * test file calls this with a factory for fresh, empty outboxes.
 */
export function describeOutboxContract(name: string, create: () => Promise<Outbox>): void {
  describe(`${name} keeps the outbox contract`, () => {
    let outbox: Outbox;
    beforeEach(async () => {
      outbox = await create();
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
  });
}
