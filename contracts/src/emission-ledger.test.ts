/**
 * EmissionLedger against a real anvil node (the binary ships in
 * @foundry-rs/anvil-linux-amd64). Each test deploys a fresh contract.
 */
import { Contract, ContractFactory, JsonRpcProvider, NonceManager, Wallet, ZeroHash, hexlify, randomBytes } from 'ethers';
import type { ContractTransactionResponse, Log, LogDescription, TransactionReceipt } from 'ethers';
import { startAnvil } from '@qingliu/testkit';
import type { AnvilServer } from '@qingliu/testkit';
import { EMISSION_LEDGER_ABI, EMISSION_LEDGER_BYTECODE, enterpriseKey, pollutantKey } from './index.js';
import { revertOf } from './testing/chain-fixture.js';

const ACME = enterpriseKey('ent-acme');
const BETA = enterpriseKey('ent-beta');
const COD = pollutantKey('w01018');
const NH3N = pollutantKey('w21003');

let anvil: AnvilServer;
let provider: JsonRpcProvider;
let admin: NonceManager;
let bureau: NonceManager;
let oracle: NonceManager;
let stranger: NonceManager;
let ledger: Contract;

beforeAll(async () => {
  try {
    anvil = await startAnvil();
  } catch (error) {
    throw new Error(`anvil could not start, so the EmissionLedger tests cannot run: ${String(error)}`, {
      cause: error,
    });
  }
  // No caching, fast polling, no batching: with ethers' defaults, waiting on anvil stalled or crawled (TOOLCHAIN.md).
  provider = new JsonRpcProvider(anvil.rpcUrl, undefined, {
    staticNetwork: true,
    cacheTimeout: -1,
    pollingInterval: 50,
    batchMaxCount: 1,
  });
  const [a, b, o, s] = anvil.accounts.map((key) => new NonceManager(new Wallet(key, provider)));
  [admin, bureau, oracle, stranger] = [a!, b!, o!, s!];
});

afterAll(async () => {
  provider?.destroy();
  await anvil?.stop();
});

beforeEach(async () => {
  const factory = new ContractFactory(EMISSION_LEDGER_ABI, EMISSION_LEDGER_BYTECODE, admin);
  const deployment = await factory.deploy(await bureau.getAddress(), await oracle.getAddress());
  const receipt = await mined(deployment.deploymentTransaction()!);
  ledger = new Contract(receipt.contractAddress!, EMISSION_LEDGER_ABI, provider);
});

/** Polls for the receipt (tx.wait() stalled against anvil); a reverted transaction has status 0. */
async function mined(tx: ContractTransactionResponse | Promise<ContractTransactionResponse>): Promise<TransactionReceipt> {
  const { hash } = await tx;
  for (let i = 0; i < 200; i++) {
    const receipt = await provider.getTransactionReceipt(hash);
    if (receipt) return receipt;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`transaction ${hash} was not mined within 5 s`);
}

function events(receipt: TransactionReceipt, name: string): LogDescription[] {
  return receipt.logs
    .map((log: Log) => ledger.interface.parseLog(log))
    .filter((event): event is LogDescription => event !== null && event.name === name);
}

const as = (signer: NonceManager): Contract => ledger.connect(signer) as Contract;
const root = (): string => hexlify(randomBytes(32));

async function allocate(enterprise: string, pollutant: string, milligrams: bigint): Promise<TransactionReceipt> {
  return mined(as(bureau).getFunction('allocate')(enterprise, pollutant, milligrams));
}

async function settle(
  batchId: bigint,
  loads: [enterprise: string, pollutant: string, milligrams: bigint][],
  signer = oracle,
  overrides: { gasLimit?: bigint } = {},
): Promise<TransactionReceipt> {
  return mined(
    as(signer).getFunction('settle')(
      batchId,
      root(),
      loads.length * 10,
      loads.map((l) => l[0]),
      loads.map((l) => l[1]),
      loads.map((l) => l[2]),
      overrides,
    ),
  );
}

const balance = async (enterprise: string, pollutant: string): Promise<bigint> =>
  (await ledger.getFunction('balanceOf')(enterprise, pollutant)) as bigint;

describe('EmissionLedger', () => {
  test('grants admin to the deployer, BUREAU_ROLE to the bureau and ORACLE_ROLE to the oracle', async () => {
    const hasRole = ledger.getFunction('hasRole');
    const [adminRole, bureauRole, oracleRole] = await Promise.all([
      ledger.getFunction('DEFAULT_ADMIN_ROLE')(),
      ledger.getFunction('BUREAU_ROLE')(),
      ledger.getFunction('ORACLE_ROLE')(),
    ]);
    expect(await hasRole(adminRole, await admin.getAddress())).toBe(true);
    expect(await hasRole(bureauRole, await bureau.getAddress())).toBe(true);
    expect(await hasRole(oracleRole, await oracle.getAddress())).toBe(true);
    expect(await hasRole(oracleRole, await bureau.getAddress())).toBe(false);
  });

  test('allocation adds to the allocation and the balance, per enterprise and pollutant', async () => {
    await allocate(ACME, COD, 5_000n);
    const receipt = await allocate(ACME, COD, 2_500n);

    expect(await ledger.getFunction('allocationOf')(ACME, COD)).toBe(7_500n);
    expect(await balance(ACME, COD)).toBe(7_500n);
    expect(await balance(ACME, NH3N)).toBe(0n);
    expect(await balance(BETA, COD)).toBe(0n);
    const [allocated] = events(receipt, 'CreditsAllocated');
    expect(allocated?.args.toArray()).toEqual([ACME, COD, 2_500n, 7_500n]);
  });

  test('settling deducts the exact milligrams of each load and anchors the batch', async () => {
    await allocate(ACME, COD, 100_000n);
    await allocate(ACME, NH3N, 10_000n);
    await allocate(BETA, COD, 50_000n);
    const batchRoot = root();
    const receipt = await mined(
      as(oracle).getFunction('settle')(7n, batchRoot, 360, [ACME, ACME, BETA], [COD, NH3N, COD], [12_345n, 678n, 1n]),
    );

    expect(await balance(ACME, COD)).toBe(100_000n - 12_345n);
    expect(await balance(ACME, NH3N)).toBe(10_000n - 678n);
    expect(await balance(BETA, COD)).toBe(50_000n - 1n);
    expect(await balance(BETA, NH3N)).toBe(0n);
    // Allocation is what was granted, not what is left.
    expect(await ledger.getFunction('allocationOf')(ACME, COD)).toBe(100_000n);

    // The root is in storage; the reading count is in the event, the time is the event's block's.
    expect((await ledger.getFunction('batchRoot')(7n)).toArray()).toEqual([batchRoot, true]);
    expect(events(receipt, 'BatchSettled').map((e) => e.args.toArray())).toEqual([[7n, batchRoot, 360n]]);
    expect(events(receipt, 'LoadDeducted').map((e) => e.args.toArray())).toEqual([
      [ACME, COD, 7n, 12_345n, 87_655n],
      [ACME, NH3N, 7n, 678n, 9_322n],
      [BETA, COD, 7n, 1n, 49_999n],
    ]);
    expect(events(receipt, 'OverDischarged')).toEqual([]);
  });

  test('an unknown batch reads as the zero root, not settled', async () => {
    expect((await ledger.getFunction('batchRoot')(99n)).toArray()).toEqual([ZeroHash, false]);
  });

  test('the zero root of an empty batch is anchored and counts as settled; the all-ones root is refused', async () => {
    await mined(as(oracle).getFunction('anchor')(3n, ZeroHash, 0));
    expect((await ledger.getFunction('batchRoot')(3n)).toArray()).toEqual([ZeroHash, true]);
    await revertOf(as(oracle).getFunction('anchor').staticCall(3n, root(), 1), 'EmissionLedgerBatchAlreadySettled');
    const allOnes = `0x${'f'.repeat(64)}`;
    expect(await revertOf(as(oracle).getFunction('anchor').staticCall(4n, allOnes, 1), 'EmissionLedgerUnanchorableRoot')).toEqual([4n]);
  });

  test('anchor settles a batch without loads, once, in the same batch ids as settle', async () => {
    await allocate(ACME, COD, 10_000n);
    const batchRoot = root();
    const receipt = await mined(as(oracle).getFunction('anchor')(11n, batchRoot, 10_000));
    expect(events(receipt, 'BatchSettled').map((e) => e.args.toArray())).toEqual([[11n, batchRoot, 10_000n]]);
    expect((await ledger.getFunction('batchRoot')(11n)).toArray()).toEqual([batchRoot, true]);
    // Neither settle nor anchor takes the id again; a settled id cannot be anchored either.
    await revertOf(as(oracle).getFunction('settle').staticCall(11n, root(), 1, [ACME], [COD], [1n]), 'EmissionLedgerBatchAlreadySettled');
    await revertOf(as(oracle).getFunction('anchor').staticCall(11n, root(), 1), 'EmissionLedgerBatchAlreadySettled');
    await settle(12n, [[ACME, COD, 1n]]);
    await revertOf(as(oracle).getFunction('anchor').staticCall(12n, root(), 1), 'EmissionLedgerBatchAlreadySettled');
    expect(await balance(ACME, COD)).toBe(9_999n);
    for (const signer of [bureau, admin, stranger]) {
      await revertOf(as(signer).getFunction('anchor').staticCall(13n, root(), 1), 'AccessControlUnauthorizedAccount');
    }
  });

  test('ORACLE_ROLE moves between accounts by grant and revoke: only current holders settle', async () => {
    const oracleRole = (await ledger.getFunction('ORACLE_ROLE')()) as string;
    const second = stranger;
    await mined(as(admin).getFunction('grantRole')(oracleRole, await second.getAddress()));
    // Both hold the role now: the first oracle and the one granted last.
    await mined(as(oracle).getFunction('anchor')(21n, root(), 1));
    await mined(as(second).getFunction('anchor')(22n, root(), 1));

    await mined(as(admin).getFunction('revokeRole')(oracleRole, await second.getAddress()));
    await revertOf(as(second).getFunction('anchor').staticCall(23n, root(), 1), 'AccessControlUnauthorizedAccount');
    await mined(as(oracle).getFunction('anchor')(23n, root(), 1));

    await mined(as(oracle).getFunction('renounceRole')(oracleRole, await oracle.getAddress()));
    await revertOf(as(oracle).getFunction('anchor').staticCall(24n, root(), 1), 'AccessControlUnauthorizedAccount');
    await mined(as(admin).getFunction('grantRole')(oracleRole, await oracle.getAddress()));
    await mined(as(oracle).getFunction('anchor')(24n, root(), 1));
    expect((await ledger.getFunction('batchRoot')(24n)).toArray()[1]).toBe(true);
  });

  test('a resubmitted batch id reverts with EmissionLedgerBatchAlreadySettled and charges nothing', async () => {
    await allocate(ACME, COD, 10_000n);
    await settle(42n, [[ACME, COD, 4_000n]]);
    const anchored = (await ledger.getFunction('batchRoot')(42n)).toArray();

    const args = await revertOf(
      as(oracle).getFunction('settle').staticCall(42n, root(), 1, [ACME], [COD], [4_000n]),
      'EmissionLedgerBatchAlreadySettled',
    );
    expect(args).toEqual([42n]);
    // Mined anyway (fixed gas, no estimate): the chain itself must refuse it.
    const receipt = await settle(42n, [[ACME, COD, 4_000n]], oracle, { gasLimit: 500_000n });
    expect(receipt.status).toBe(0);

    expect(await balance(ACME, COD)).toBe(6_000n);
    expect((await ledger.getFunction('batchRoot')(42n)).toArray()).toEqual(anchored);
  });

  test('load arrays of different lengths revert with EmissionLedgerLoadLengthMismatch', async () => {
    const args = await revertOf(
      as(oracle).getFunction('settle').staticCall(1n, root(), 1, [ACME, BETA], [COD], [1n, 2n]),
      'EmissionLedgerLoadLengthMismatch',
    );
    expect(args).toEqual([2n, 1n, 2n]);
    expect((await ledger.getFunction('batchRoot')(1n)).toArray()[1]).toBe(false);
  });

  test('over-discharge goes negative as debt with OverDischarged, and later credits pay it off', async () => {
    await allocate(ACME, COD, 1_000n);
    const first = await settle(1n, [[ACME, COD, 1_500n]]);
    expect(await balance(ACME, COD)).toBe(-500n);
    expect(events(first, 'OverDischarged').map((e) => e.args.toArray())).toEqual([[ACME, COD, 1n, -500n]]);

    const second = await settle(2n, [[ACME, COD, 250n]]);
    expect(await balance(ACME, COD)).toBe(-750n);
    expect(events(second, 'OverDischarged').map((e) => e.args.toArray())).toEqual([[ACME, COD, 2n, -750n]]);

    const topUp = await allocate(ACME, COD, 1_000n);
    expect(events(topUp, 'CreditsAllocated')[0]?.args.toArray()).toEqual([ACME, COD, 1_000n, 250n]);
    const third = await settle(3n, [[ACME, COD, 250n]]);
    expect(await balance(ACME, COD)).toBe(0n);
    expect(events(third, 'OverDischarged')).toEqual([]);
  });

  test('only the oracle can settle', async () => {
    for (const signer of [bureau, admin, stranger]) {
      const args = await revertOf(
        as(signer).getFunction('settle').staticCall(5n, root(), 1, [ACME], [COD], [1n]),
        'AccessControlUnauthorizedAccount',
      );
      expect(args).toEqual([await signer.getAddress(), await ledger.getFunction('ORACLE_ROLE')()]);
    }
    expect((await ledger.getFunction('batchRoot')(5n)).toArray()[1]).toBe(false);
  });

  test('only the bureau can allocate, pause and unpause', async () => {
    const bureauRole = await ledger.getFunction('BUREAU_ROLE')();
    for (const signer of [oracle, admin, stranger]) {
      const account = await signer.getAddress();
      expect(
        await revertOf(as(signer).getFunction('allocate').staticCall(ACME, COD, 1n), 'AccessControlUnauthorizedAccount'),
      ).toEqual([account, bureauRole]);
      expect(await revertOf(as(signer).getFunction('pause').staticCall(), 'AccessControlUnauthorizedAccount')).toEqual(
        [account, bureauRole],
      );
    }
    expect(await balance(ACME, COD)).toBe(0n);
  });

  test('while paused, settling reverts with EnforcedPause; allocation still works; unpausing resumes', async () => {
    await mined(as(bureau).getFunction('pause')());
    expect(await ledger.getFunction('paused')()).toBe(true);

    await revertOf(as(oracle).getFunction('settle').staticCall(9n, root(), 1, [ACME], [COD], [1n]), 'EnforcedPause');
    await revertOf(as(oracle).getFunction('anchor').staticCall(9n, root(), 1), 'EnforcedPause');
    // The role check comes first, as with onlyRole before whenNotPaused.
    await revertOf(as(stranger).getFunction('anchor').staticCall(9n, root(), 1), 'AccessControlUnauthorizedAccount');
    const receipt = await settle(9n, [[ACME, COD, 1n]], oracle, { gasLimit: 500_000n });
    expect(receipt.status).toBe(0);
    await allocate(ACME, COD, 10n);
    expect(await balance(ACME, COD)).toBe(10n);

    await mined(as(bureau).getFunction('unpause')());
    await settle(9n, [[ACME, COD, 1n]]);
    expect(await balance(ACME, COD)).toBe(9n);
  });
});
