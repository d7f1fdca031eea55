/**
 * What every Ledger adapter must do (ports/ledger.ts), run against each: the EVM adapter on a
 * real anvil node (evm-ledger.test.ts) and the in-memory one (memory-ledger.test.ts).
 */
import { hexlify, randomBytes } from 'ethers';
import type { PollutantCode } from '@qingliu/protocol';
import { rejection } from '@qingliu/testkit';
import type { Ledger, Settlement } from '../ports/ledger.js';

export interface LedgerUnderTest {
  ledger: Ledger;
  /** The bureau's allocation of credits (on chain: the bureau's key). */
  allocate(enterprise: string, pollutant: PollutantCode, milligrams: bigint): Promise<void>;
  close(): Promise<void>;
}

export function describeLedgerContract(name: string, start: () => Promise<LedgerUnderTest>): void {
  describe(`Ledger contract: ${name}`, () => {
    let subject: LedgerUnderTest;
    let ledger: Ledger;
    // Batch ids apart from the adapter's own tests on the same chain.
    let nextBatchId = 1_000_000n;

    beforeAll(async () => {
      subject = await start();
      ledger = subject.ledger;
    });

    afterAll(async () => {
      await subject?.close();
    });

    function settlement(loads: Settlement['loads'], readingCount = 120): Settlement {
      return { batchId: nextBatchId++, root: hexlify(randomBytes(32)), readingCount, loads };
    }

    test('settles a batch once: the resubmission reports alreadySettled and charges nothing', async () => {
      await subject.allocate('ent-once', 'w01018', 50_000n);
      const batch = settlement([
        { enterprise: 'ent-once', pollutant: 'w01018', milligrams: 12_000n },
        { enterprise: 'ent-once', pollutant: 'w21003', milligrams: 300n },
      ]);

      const first = await ledger.settle(batch);
      expect(first).toEqual({ batchId: batch.batchId, txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/), alreadySettled: false });
      expect(await ledger.balanceOf('ent-once', 'w01018')).toBe(38_000n);
      expect(await ledger.balanceOf('ent-once', 'w21003')).toBe(-300n);

      const second = await ledger.settle(batch);
      expect(second).toEqual({ batchId: batch.batchId, txHash: first.txHash, alreadySettled: true });
      expect(await ledger.balanceOf('ent-once', 'w01018')).toBe(38_000n);
      expect(await ledger.balanceOf('ent-once', 'w21003')).toBe(-300n);
    });

    test('two concurrent settlements of one batch charge it once', async () => {
      await subject.allocate('ent-race', 'w01018', 1_000n);
      const batch = settlement([{ enterprise: 'ent-race', pollutant: 'w01018', milligrams: 400n }]);

      const receipts = await Promise.all([ledger.settle(batch), ledger.settle(batch)]);

      expect(receipts.map((r) => r.alreadySettled).sort()).toEqual([false, true]);
      expect(await ledger.balanceOf('ent-race', 'w01018')).toBe(600n);
      // The next batch goes through (on chain: the oracle's nonces are still in step).
      const next = await ledger.settle(settlement([{ enterprise: 'ent-race', pollutant: 'w01018', milligrams: 100n }]));
      expect(next.alreadySettled).toBe(false);
      expect(await ledger.balanceOf('ent-race', 'w01018')).toBe(500n);
    });

    test('anchoredBatch returns the root, reading count and settlement time; undefined before settling', async () => {
      const batch = settlement([], 77);
      expect(await ledger.anchoredBatch(batch.batchId)).toBeUndefined();
      const before = Math.floor(Date.now() / 1000);

      await ledger.settle(batch);

      const anchored = await ledger.anchoredBatch(batch.batchId);
      expect(anchored).toEqual({ root: batch.root, readingCount: 77, settledAt: expect.any(Number) });
      expect(anchored!.settledAt).toBeGreaterThanOrEqual(before - 5);
      expect(anchored!.settledAt).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 5);
    });

    test('balanceOf is the allocation minus the settled loads, per enterprise and pollutant', async () => {
      expect(await ledger.balanceOf('ent-unknown', 'w01018')).toBe(0n);
      await subject.allocate('ent-bal', 'w21011', 2_000n);
      await subject.allocate('ent-bal', 'w21001', 3_000n);
      await ledger.settle(
        settlement([
          { enterprise: 'ent-bal', pollutant: 'w21011', milligrams: 2_500n },
          { enterprise: 'ent-bal', pollutant: 'w21001', milligrams: 1n },
        ]),
      );
      expect(await ledger.balanceOf('ent-bal', 'w21011')).toBe(-500n);
      expect(await ledger.balanceOf('ent-bal', 'w21001')).toBe(2_999n);
    });

    test('a malformed settlement is rejected before anything is sent', async () => {
      const batch = settlement([{ enterprise: 'ent-bad', pollutant: 'w01018', milligrams: -1n }]);
      const error = await rejection(ledger.settle(batch));
      expect(error).toMatchObject({ code: 'SCHEMA_INVALID', retryable: false });
      expect(await ledger.anchoredBatch(batch.batchId)).toBeUndefined();
    });
  });
}
