/**
 * Permits and the initial allocation of a regional cap by historical emissions
 * (largest remainder), on a real anvil node.
 */
import type { Contract } from 'ethers';
import { enterpriseKey, largestRemainderSplit, regionKey } from './index.js';
import { as, eventsOf, revertOf, send, useTestChain } from './testing/chain-fixture.js';
import type { TestChain } from './testing/chain-fixture.js';
import { COD, NH3N, REGION, deployLedger } from './testing/contracts.js';

const ents = (n: number, prefix = 'ent'): string[] => Array.from({ length: n }, (_, i) => enterpriseKey(`${prefix}-${i}`));

let chain: TestChain;
let ledger: Contract;

useTestChain((started) => {
  chain = started;
});

beforeEach(async () => {
  ledger = await deployLedger(chain);
});

const preview = async (cap: bigint, weights: bigint[]): Promise<bigint[]> =>
  [...((await ledger.getFunction('previewCapAllocation')(cap, weights)) as bigint[])];
const sum = (values: bigint[]): bigint => values.reduce((a, b) => a + b, 0n);

function allocateCap(region: string, pollutant: string, year: number, cap: bigint, enterprises: string[], history: bigint[]) {
  return send(chain, ledger, chain.signers.bureau, 'allocateCap', region, pollutant, year, cap, enterprises, history);
}

describe('EmissionLedger permits and cap allocation', () => {
  test('a cap split by history gives each enterprise its permit and credits, and the permits sum to the cap', async () => {
    const enterprises = ents(3);
    const receipt = await allocateCap(REGION, COD, 2026, 1_000_000n, enterprises, [500n, 300n, 200n]);

    const expected = [500_000n, 300_000n, 200_000n];
    for (const [i, enterprise] of enterprises.entries()) {
      expect((await ledger.getFunction('permitOf')(enterprise, COD, 2026)).toArray().slice(0, 2)).toEqual([
        expected[i],
        REGION,
      ]);
      expect(await ledger.getFunction('balanceOf')(enterprise, COD)).toBe(expected[i]);
      expect(await ledger.getFunction('allocationOf')(enterprise, COD)).toBe(expected[i]);
    }
    expect((await ledger.getFunction('capOf')(REGION, COD, 2026))[0]).toBe(1_000_000n);
    expect(eventsOf(ledger, receipt, 'CapAllocated').map((e) => e.args.toArray())).toEqual([
      [REGION, COD, 2026n, 1_000_000n, 3n],
    ]);
    expect(eventsOf(ledger, receipt, 'PermitIssued').map((e) => e.args.toArray())).toEqual(
      enterprises.map((e, i) => [e, COD, 2026n, REGION, expected[i]]),
    );
    // Another pollutant and another year are other permits.
    expect((await ledger.getFunction('permitOf')(enterprises[0], COD, 2027)).toArray()).toEqual([0n, `0x${'0'.repeat(64)}`, 0n]);
    expect(await ledger.getFunction('balanceOf')(enterprises[0], NH3N)).toBe(0n);
  });

  test('awkward numbers: each leftover milligram goes to the largest remainder, ties in list order, none lost', async () => {
    const cases: [cap: bigint, weights: bigint[], shares: bigint[]][] = [
      [1_000_000n, [1n, 1n, 1n], [333_334n, 333_333n, 333_333n]],
      [10n, [1n, 1n, 1n, 1n, 1n, 1n, 1n], [2n, 2n, 2n, 1n, 1n, 1n, 1n]],
      [1n, [1n, 1n, 1n], [1n, 0n, 0n]],
      [2n, [1n, 2n, 1n], [1n, 1n, 0n]], // quotas 0.5, 1, 0.5: the tie goes to the first
      [1_000_003n, [3n, 7n, 11n, 13n, 17n], [58_824n, 137_255n, 215_687n, 254_903n, 333_334n]],
      [7n, [0n, 5n, 5n], [0n, 4n, 3n]], // no history, no share
      [0n, [4n, 1n], [0n, 0n]],
      [100n, [1n, 10n ** 30n], [0n, 100n]],
    ];
    for (const [cap, weights, shares] of cases) {
      expect(await preview(cap, weights)).toEqual(shares);
      expect(largestRemainderSplit(cap, weights)).toEqual(shares);
      expect(sum(shares)).toBe(cap);
    }
    // Near the top of uint256: the products are taken at 512 bits, nothing overflows.
    const huge = (1n << 255n) + 12_345n;
    const big = await preview(huge, [(1n << 200n) + 1n, (1n << 199n) + 3n, 7n]);
    expect(sum(big)).toBe(huge);
    expect(big).toEqual(largestRemainderSplit(huge, [(1n << 200n) + 1n, (1n << 199n) + 3n, 7n]));
  });

  test('random splits sum to the cap and give each share the floor or ceiling of its exact quota', async () => {
    let seed = 0x5eedn;
    const next = (bound: bigint): bigint => {
      seed = (seed * 6364136223846793005n + 1442695040888963407n) % (1n << 64n);
      return seed % bound;
    };
    for (let round = 0; round < 25; round++) {
      const n = Number(next(30n)) + 1;
      const cap = next(10n ** 15n);
      const weights = Array.from({ length: n }, () => next(10n ** 12n));
      if (sum(weights) === 0n) weights[0] = 1n;
      const shares = await preview(cap, weights);
      expect(sum(shares)).toBe(cap);
      const total = sum(weights);
      shares.forEach((share, i) => {
        const floor = (cap * weights[i]!) / total;
        expect(share === floor || share === floor + 1n).toBe(true);
      });
      expect(shares).toEqual(largestRemainderSplit(cap, weights));
    }
  });

  test('allocating a cap on chain conserves it exactly for 100 enterprises, the most one call takes, with awkward history', async () => {
    const enterprises = ents(100, 'big');
    const history = enterprises.map((_, i) => BigInt((i * 7919) % 613) + 1n);
    const cap = 9_999_999_999_999n;
    await allocateCap(REGION, NH3N, 2026, cap, enterprises, history);
    const permits = await Promise.all(
      enterprises.map(async (e) => (await ledger.getFunction('permitOf')(e, NH3N, 2026))[0] as bigint),
    );
    expect(sum(permits)).toBe(cap);
    expect(permits).toEqual(largestRemainderSplit(cap, history));
  });

  test('a region, pollutant and year is allocated once; an enterprise holds one permit per pollutant and year', async () => {
    const [a, b] = ents(2);
    await allocateCap(REGION, COD, 2026, 100n, [a!, b!], [1n, 1n]);
    const bureau = as(ledger, chain.signers.bureau);
    expect(await revertOf(bureau.getFunction('allocateCap').staticCall(REGION, COD, 2026, 5n, [a], [1n]), 'EmissionLedgerCapAlreadyAllocated')).toEqual([REGION, COD, 2026n]);
    // Another region's cap cannot give a second 2026 permit to the same enterprise, nor can issuePermit.
    const other = regionKey('cn-330200');
    expect(await revertOf(bureau.getFunction('allocateCap').staticCall(other, COD, 2026, 5n, [a], [1n]), 'EmissionLedgerPermitAlreadyIssued')).toEqual([a, COD, 2026n]);
    await revertOf(bureau.getFunction('issuePermit').staticCall(b, COD, 2026, 5n), 'EmissionLedgerPermitAlreadyIssued');
    // Listing an enterprise twice in one split would give it two permits: refused.
    const [c] = ents(1, 'dup');
    await revertOf(bureau.getFunction('allocateCap').staticCall(other, COD, 2027, 5n, [c, c], [1n, 1n]), 'EmissionLedgerPermitAlreadyIssued');
    // The next year is a new permit, added to the balance.
    await send(chain, ledger, chain.signers.bureau, 'issuePermit', a, COD, 2027, 30n);
    expect(await ledger.getFunction('balanceOf')(a, COD)).toBe(80n);
    expect((await ledger.getFunction('permitOf')(a, COD, 2027)).toArray().slice(0, 2)).toEqual([30n, `0x${'0'.repeat(64)}`]);
  });

  test('a malformed cap allocation is refused with the error naming what is wrong', async () => {
    const bureau = as(ledger, chain.signers.bureau).getFunction('allocateCap');
    const [a, b] = ents(2);
    expect(await revertOf(bureau.staticCall(REGION, COD, 2026, 5n, [a, b], [1n]), 'EmissionLedgerAllocationLengthMismatch')).toEqual([2n, 1n]);
    expect(await revertOf(bureau.staticCall(REGION, COD, 2026, 5n, [], []), 'EmissionLedgerEnterpriseCount')).toEqual([0n, 100n]);
    const tooMany = ents(101, 'many');
    await revertOf(bureau.staticCall(REGION, COD, 2026, 5n, tooMany, tooMany.map(() => 1n)), 'EmissionLedgerEnterpriseCount');
    expect(await revertOf(bureau.staticCall(REGION, COD, 2026, 5n, [a, b], [0n, 0n]), 'EmissionLedgerNoHistory')).toEqual([REGION, COD, 2026n]);
    expect(await revertOf(bureau.staticCall(REGION, COD, 1999, 5n, [a], [1n]), 'EmissionLedgerInvalidYear')).toEqual([1999n]);
    await revertOf(bureau.staticCall(REGION, COD, 3000, 5n, [a], [1n]), 'EmissionLedgerInvalidYear');
  });
});
