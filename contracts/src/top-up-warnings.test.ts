/**
 * Consumption rate (moving average over the last RATE_WINDOW settlements), projected
 * depletion and TopUpWarning events, on a real anvil node with controlled block times.
 */
import { ZeroHash } from 'ethers';
import type { Contract, TransactionReceipt } from 'ethers';
import { TOP_UP_REASONS } from './index.js';
import { eventsOf, latestTimestamp, send, setNextTimestamp, useTestChain } from './testing/chain-fixture.js';
import type { TestChain } from './testing/chain-fixture.js';
import { ACME, COD, deployLedger } from './testing/contracts.js';

const HOUR = 3600;
const DAY = 24 * HOUR;
const MAX = (1n << 256n) - 1n;

let chain: TestChain;
let ledger: Contract;
let clock: number;
let batchId: bigint;

useTestChain((started) => {
  chain = started;
});

beforeEach(async () => {
  ledger = await deployLedger(chain);
  clock = (await latestTimestamp(chain)) + 1000;
  batchId = 1n;
});

const allocate = (milligrams: bigint): Promise<TransactionReceipt> =>
  send(chain, ledger, chain.signers.bureau, 'allocate', ACME, COD, milligrams);

/** Settles one load of ACME's COD `secondsLater` after the previous settlement. */
async function settleAfter(secondsLater: number, milligrams: bigint): Promise<TransactionReceipt> {
  clock += secondsLater;
  await setNextTimestamp(chain, clock);
  return send(chain, ledger, chain.signers.oracle, 'settle', batchId++, ZeroHash, 1, [ACME], [COD], [milligrams]);
}

function warnings(receipt: TransactionReceipt): [string, bigint, bigint][] {
  return eventsOf(ledger, receipt, 'TopUpWarning').map((e) => [
    TOP_UP_REASONS[Number(e.args.getValue('reason'))]!,
    e.args.getValue('balance') as bigint,
    e.args.getValue('secondsToDepletion') as bigint,
  ]);
}

const consumption = async (): Promise<bigint[]> => [...(await ledger.getFunction('consumptionOf')(ACME, COD))];

describe('EmissionLedger consumption rate and top-up warnings', () => {
  test('the rate is the load settled over the window of the last 8 settlements; depletion is projected from it', async () => {
    await allocate(1_000_000n);
    await settleAfter(0, 1n);
    expect(await consumption()).toEqual([0n, 0n, MAX]); // one point: no rate yet
    for (let i = 2; i <= 10; i++) await settleAfter(HOUR, BigInt(i));
    // Ten settlements; the window holds the last 8 points (3rd..10th), so the loads of the 4th..10th over 7 h.
    const consumed = 4n + 5n + 6n + 7n + 8n + 9n + 10n;
    const balance = 1_000_000n - 55n;
    expect(await consumption()).toEqual([consumed, BigInt(7 * HOUR), (balance * BigInt(7 * HOUR)) / consumed]);
  });

  test('warns once at 20 %, once at 10 % and once at 0 of the balance after the last credit; a top-up rearms them', async () => {
    await send(chain, ledger, chain.signers.bureau, 'setWarningHorizon', 0n);
    await allocate(1_000n);
    expect(warnings(await settleAfter(DAY, 700n))).toEqual([]); // 30 % left
    const at20 = warnings(await settleAfter(DAY, 150n)); // 15 %
    expect(at20.map((w) => w.slice(0, 2))).toEqual([['Below20Percent', 150n]]);
    expect(warnings(await settleAfter(DAY, 10n))).toEqual([]); // 14 %: crossed already
    expect(warnings(await settleAfter(DAY, 50n)).map((w) => w.slice(0, 2))).toEqual([['Below10Percent', 90n]]);
    const depleted = await settleAfter(DAY, 90n);
    expect(warnings(depleted)).toEqual([['Depleted', 0n, 0n]]);
    const debt = await settleAfter(DAY, 10n);
    expect(warnings(debt)).toEqual([]);
    expect(eventsOf(ledger, debt, 'OverDischarged').map((e) => e.args.getValue('balanceAfter'))).toEqual([-10n]);

    // A top-up that still leaves debt does not rearm: the enterprise is still depleted.
    await allocate(5n);
    expect(warnings(await settleAfter(DAY, 1n))).toEqual([]);
    // One that leaves credits does; a drop straight to 9 % warns once, with the deepest threshold only.
    await allocate(1_006n); // balance 1_000
    expect(warnings(await settleAfter(DAY, 910n)).map((w) => w.slice(0, 2))).toEqual([['Below10Percent', 90n]]);
  });

  test('warns when projected depletion comes within the horizon, once per approach', async () => {
    await send(chain, ledger, chain.signers.bureau, 'setWarningHorizon', BigInt(DAY));
    await allocate(10_000_000n);
    expect(warnings(await settleAfter(0, 100_000n))).toEqual([]);
    // 100,000 mg an hour: 98 h left, beyond one day.
    expect(warnings(await settleAfter(HOUR, 100_000n))).toEqual([]);
    // A heavy hour: 3,100,000 mg over the 2 h window, 6,800,000 left -> 15,793 s.
    const near = warnings(await settleAfter(HOUR, 3_000_000n));
    expect(near).toEqual([['DepletionWithinHorizon', 6_800_000n, (6_800_000n * 7200n) / 3_100_000n]]);
    expect(warnings(await settleAfter(HOUR, 100_000n))).toEqual([]); // still within: no repeat

    // The bureau shortens the horizon: depletion is now beyond it, and the warning is rearmed.
    await send(chain, ledger, chain.signers.bureau, 'setWarningHorizon', BigInt(HOUR));
    expect(warnings(await settleAfter(HOUR, 1n))).toEqual([]);
    await send(chain, ledger, chain.signers.bureau, 'setWarningHorizon', BigInt(DAY));
    const again = warnings(await settleAfter(HOUR, 1n));
    expect(again.map((w) => w[0])).toEqual(['DepletionWithinHorizon']);
  });

  test('setting the horizon emits WarningHorizonChanged with the old and new values', async () => {
    expect(await ledger.getFunction('warningHorizon')()).toBe(BigInt(7 * DAY));
    const receipt = await send(chain, ledger, chain.signers.bureau, 'setWarningHorizon', 42n);
    expect(eventsOf(ledger, receipt, 'WarningHorizonChanged').map((e) => e.args.toArray())).toEqual([[BigInt(7 * DAY), 42n]]);
    expect(await ledger.getFunction('warningHorizon')()).toBe(42n);
  });
});
