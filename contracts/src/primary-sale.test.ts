/**
 * PrimarySale on a real anvil node: the bureau sells credits from its reserve, paid in a
 * settlement bank's deposit token, delivery versus payment (both legs or neither); a sale
 * window, a quota per enterprise, sold out, the grade factor, who may buy. `oracle` stands in
 * for the bank (BANK_ROLE); `admin` is the bureau's treasury.
 */
import type { Contract } from 'ethers';
import { BLACKLIST_REASONS, DEPOSIT_TOKEN_ABI, DEPOSIT_TOKEN_BYTECODE, EMISSION_CREDITS_ABI, EMISSION_CREDITS_BYTECODE, PRIMARY_SALE_ABI, PRIMARY_SALE_BYTECODE } from './index.js';
import { anvilRpc, as, deploy, eventsOf, latestTimestamp, revertOf, send, useTestChain } from './testing/chain-fixture.js';
import type { TestChain } from './testing/chain-fixture.js';
import { ACME, BETA, COD, REGION, bytes32, deployBlacklist, deployRegistry } from './testing/contracts.js';

let chain: TestChain;
let credits: Contract;
let deposit: Contract;
let blacklist: Contract;
let sale: Contract;
let cod: bigint;

useTestChain((started) => {
  chain = started;
});

beforeEach(async () => {
  credits = await deploy(chain, EMISSION_CREDITS_ABI, EMISSION_CREDITS_BYTECODE, [chain.addresses.bureau, chain.addresses.admin]);
  deposit = await deploy(chain, DEPOSIT_TOKEN_ABI, DEPOSIT_TOKEN_BYTECODE, ['CNY deposit', 'eCNY', chain.addresses.oracle]);
  const registry = await deployRegistry(chain);
  blacklist = await deployBlacklist(chain);
  sale = await deploy(chain, PRIMARY_SALE_ABI, PRIMARY_SALE_BYTECODE, [credits.target, deposit.target, registry.target, blacklist.target, chain.addresses.bureau, chain.addresses.admin, chain.addresses.admin]);
  await send(chain, credits, chain.signers.admin, 'grantRole', await credits.getFunction('BUREAU_ROLE')(), sale.target);
  await send(chain, registry, chain.signers.bureau, 'registerEnterprise', ACME, REGION, chain.addresses.enterprise);
  await send(chain, registry, chain.signers.bureau, 'registerEnterprise', BETA, REGION, chain.addresses.stranger);
  await send(chain, credits, chain.signers.bureau, 'issue', COD, REGION, 2026, 1_000n);
  cod = (await credits.getFunction('creditId')(COD, REGION, 2026)) as bigint;
  for (const who of ['enterprise', 'stranger'] as const) {
    await send(chain, deposit, chain.signers.oracle, 'mint', chain.addresses[who], 10_000n); // 100.00 yuan paid in at the bank
    await send(chain, deposit, chain.signers[who], 'approve', sale.target, 1_000_000n);
  }
});

const credit = async (who: string): Promise<bigint> => (await credits.getFunction('balanceOf')(who, cod)) as bigint;
const cash = async (who: string): Promise<bigint> => (await deposit.getFunction('balanceOf')(who)) as bigint;

/** A sale of 15 credits at 5.00 yuan each, 10 per enterprise at most, open for an hour from now. */
async function opened(): Promise<{ id: bigint; closesAt: number }> {
  const now = await latestTimestamp(chain);
  const receipt = await send(chain, sale, chain.signers.bureau, 'open', cod, 500n, 10n, 15n, now, now + 3600);
  return { id: eventsOf(sale, receipt, 'SaleOpened')[0]!.args[0] as bigint, closesAt: now + 3600 };
}

describe('PrimarySale', () => {
  test('a purchase pays the treasury and delivers from the reserve in one transaction', async () => {
    const { id } = await opened();
    const receipt = await send(chain, sale, chain.signers.enterprise, 'buy', id, 4n);
    expect(eventsOf(sale, receipt, 'CreditsBought').map((e) => e.args.toArray())).toEqual([[id, ACME, chain.addresses.enterprise, 4n, 2_000n]]);
    expect([await credit(chain.addresses.enterprise), await cash(chain.addresses.enterprise), await cash(chain.addresses.admin)]).toEqual([4n, 8_000n, 2_000n]);
    expect(await credits.getFunction('reserveOf')(cod)).toBe(996n);
  });

  test('both legs or neither: a buyer who cannot pay gets no credit, and the reserve keeps them', async () => {
    const { id } = await opened();
    await send(chain, deposit, chain.signers.stranger, 'transfer', chain.addresses.admin, 9_000n); // 10.00 yuan left: two credits' worth
    // The deposit token refuses the payment (its own error, decoded by its ABI), and the whole purchase reverts.
    const refusal = await as(sale, chain.signers.stranger).getFunction('buy').staticCall(id, 3n).then(
      () => undefined,
      (error: { data?: string }) => deposit.interface.parseError(error.data ?? '0x')?.name,
    );
    expect(refusal).toBe('ERC20InsufficientBalance');
    expect([await credit(chain.addresses.stranger), (await credits.getFunction('reserveOf')(cod)) as bigint]).toEqual([0n, 1_000n]);
    await send(chain, sale, chain.signers.stranger, 'buy', id, 2n);
    expect([await credit(chain.addresses.stranger), await cash(chain.addresses.stranger)]).toEqual([2n, 0n]);
  });

  test('the quota per enterprise, sold out, and the sale window', async () => {
    const { id, closesAt } = await opened();
    await send(chain, sale, chain.signers.enterprise, 'buy', id, 10n);
    expect(await revertOf(as(sale, chain.signers.enterprise).getFunction('buy').staticCall(id, 1n), 'PrimarySaleQuotaExceeded')).toEqual([id, ACME, 10n, 1n, 10n]);
    expect(await revertOf(as(sale, chain.signers.stranger).getFunction('buy').staticCall(id, 6n), 'PrimarySaleSoldOut')).toEqual([id, 5n, 6n]);
    const now = await latestTimestamp(chain);
    const later = await send(chain, sale, chain.signers.bureau, 'open', cod, 500n, 10n, 5n, now + 600, now + 1200);
    const laterId = eventsOf(sale, later, 'SaleOpened')[0]!.args[0] as bigint;
    await revertOf(as(sale, chain.signers.stranger).getFunction('buy').staticCall(laterId, 1n), 'PrimarySaleNotOpen');
    await anvilRpc(chain, 'evm_setNextBlockTimestamp', [closesAt + 1]);
    await anvilRpc(chain, 'evm_mine');
    await revertOf(as(sale, chain.signers.stranger).getFunction('buy').staticCall(id, 1n), 'PrimarySaleNotOpen');
  });

  test("the enterprise's grade sets its price by the bureau's policy", async () => {
    const { id } = await opened();
    await send(chain, sale, chain.signers.bureau, 'setGradeFactor', 3, 12_000); // a 'warning' grade pays 20% more
    await send(chain, sale, chain.signers.bureau, 'setGrade', BETA, 3);
    expect([await sale.getFunction('priceOf')(id, BETA, 2n), await sale.getFunction('priceOf')(id, ACME, 2n)]).toEqual([1_200n, 1_000n]);
    await send(chain, sale, chain.signers.stranger, 'buy', id, 2n);
    expect(await cash(chain.addresses.stranger)).toBe(8_800n);
  });

  test('only enrolled, unlisted enterprises buy; only the bureau opens and sets the policy; only the bank mints deposits', async () => {
    const { id } = await opened();
    expect(await revertOf(as(sale, chain.signers.oracle).getFunction('buy').staticCall(id, 1n), 'PrimarySaleNotEnterprise')).toEqual([chain.addresses.oracle]);
    await send(chain, blacklist, chain.signers.bureau, 'add', BETA, BLACKLIST_REASONS.illegalDischarge, bytes32());
    expect(await revertOf(as(sale, chain.signers.stranger).getFunction('buy').staticCall(id, 1n), 'PrimarySaleBlacklisted')).toEqual([BETA]);
    for (const who of ['enterprise', 'stranger', 'oracle'] as const) {
      const caller = as(sale, chain.signers[who]);
      await revertOf(caller.getFunction('open').staticCall(cod, 1n, 1n, 1n, 0, 4_000_000_000), 'AccessControlUnauthorizedAccount');
      await revertOf(caller.getFunction('setGrade').staticCall(ACME, 1), 'AccessControlUnauthorizedAccount');
    }
    await revertOf(as(deposit, chain.signers.enterprise).getFunction('mint').staticCall(chain.addresses.enterprise, 1n), 'AccessControlUnauthorizedAccount');
  });
});
