/**
 * The whole-system suite, short: a small plant, every fault with short
 * outages, the abuse phase, every part a real process (about 2 minutes). The full run (20+
 * outfalls, every fault, 30 s outages, 10,000 malformed messages) is
 * `npm run system`; see demo/README.md.
 */
import { FAULTS, systemOptions } from './options.js';
import { runSystem } from './run-system.js';
import type { SystemResult } from './run-system.js';

describe('the whole system through faults and abuse (short run)', () => {
  let result: SystemResult;

  beforeAll(async () => {
    result = await runSystem(
      systemOptions({
        outfalls: 6,
        outfallsPerEnterprise: 3,
        faults: [...FAULTS],
        outageMs: 8_000,
        warmupMs: 5_000,
        recoveryTimeoutMs: 60_000,
        malformed: 2_000,
      }),
    );
    // The table is the evidence; print it whatever happens next.
    console.log(result.report);
  }, 290_000);

  it('loses, duplicates and mischarges nothing through kill -9 of an edge agent and of each ingester, outages of the broker, InfluxDB and the chain, and a full edge outbox', () => {
    const faults = result.rows.filter((r) => !['none (warm-up)', 'abuse', 'whole run'].includes(r.fault));
    expect(faults.map((r) => r.fault)).toEqual([...FAULTS]);
    expect(result.rows.reduce((n, r) => n + r.refusedAtEdge, 0)).toBeGreaterThan(0); // the filled outbox refused, and counted
    for (const row of result.rows) {
      expect({ fault: row.fault, lost: row.lost, duplicated: row.duplicated, unexpected: row.unexpected, crashes: row.crashes }).toEqual({
        fault: row.fault,
        lost: 0,
        duplicated: 0,
        unexpected: 0,
        crashes: [],
      });
      expect(row.produced).toBeGreaterThan(0);
      expect(row.storedAfterMs).toBeDefined();
      expect(row.settledAfterMs).toBeDefined();
    }
  });

  it('charges each batch on chain exactly the load recomputed from InfluxDB, once, with every root matching its readings', () => {
    for (const row of result.rows) {
      expect({ fault: row.fault, charged: row.chargedMg, mischarged: row.mischarged, roots: row.rootMismatches, missing: row.missingBatches, twice: row.doubleCharged }).toEqual({
        fault: row.fault,
        charged: row.expectedMg,
        mischarged: 0,
        roots: 0,
        missing: 0,
        twice: 0,
      });
    }
    const whole = result.rows.at(-1)!;
    expect(whole.fault).toBe('whole run');
    expect(whole.batches).toBeGreaterThan(5);
    expect(whole.chargedMg).toBeGreaterThan(0n);
  });

  it('refuses, counts and logs every abuse with its reason', () => {
    expect(result.abuse.map((a) => [a.reason, a.ok])).toEqual([
      ['TOPIC_MISMATCH', true],
      ['SIGNATURE_INVALID', true],
      ['DUPLICATE', true],
      ['SCHEMA_INVALID', true],
      ['AccessControlUnauthorizedAccount', true],
      ['AccessControlUnauthorizedAccount', true],
      ['AccessControlUnauthorizedAccount', true],
    ]);
    expect(result.abuse.find((a) => a.reason === 'SCHEMA_INVALID')!.counted).toBe(2_000);
    expect(result.passed).toBe(true);
  });
});
