/**
 * OrderBook on a real anvil node: limit orders with their escrow, matching in price-time priority
 * at the resting order's price with partial fills, the buyer's change, self-trade prevention,
 * cancellation, expiry, the bound on fills per placement, the blacklist, and nothing created or
 * lost. Sellers: `enterprise` (ACME) and `oracle` (a trader with no enterprise); buyer: `stranger` (BETA).
 */
import type { Contract } from 'ethers';
import { BLACKLIST_REASONS, DEPOSIT_TOKEN_ABI, DEPOSIT_TOKEN_BYTECODE, EMISSION_CREDITS_ABI, EMISSION_CREDITS_BYTECODE, ORDER_BOOK_ABI, ORDER_BOOK_BYTECODE } from './index.js';
import { anvilRpc, as, deploy, eventsOf, latestTimestamp, revertOf, send, useTestChain } from './testing/chain-fixture.js';
import type { TestChain } from './testing/chain-fixture.js';
import { ACME, BETA, COD, REGION, bytes32, deployBlacklist, deployRegistry } from './testing/contracts.js';

const BUY = 0;
const SELL = 1;
const MANY = 50;

let chain: TestChain;
let credits: Contract;
let deposit: Contract;
let blacklist: Contract;
let book: Contract;
let cod: bigint;

useTestChain((started) => {
  chain = started;
});

beforeEach(async () => {
  credits = await deploy(chain, EMISSION_CREDITS_ABI, EMISSION_CREDITS_BYTECODE, [chain.addresses.bureau, chain.addresses.admin]);
  deposit = await deploy(chain, DEPOSIT_TOKEN_ABI, DEPOSIT_TOKEN_BYTECODE, ['CNY deposit', 'eCNY', chain.addresses.bureau]);
  const registry = await deployRegistry(chain);
  blacklist = await deployBlacklist(chain);
  book = await deploy(chain, ORDER_BOOK_ABI, ORDER_BOOK_BYTECODE, [credits.target, deposit.target, registry.target, blacklist.target, chain.addresses.admin]);
  await send(chain, credits, chain.signers.admin, 'grantRole', await credits.getFunction('EXCHANGE_ROLE')(), book.target);
  await send(chain, registry, chain.signers.bureau, 'registerEnterprise', ACME, REGION, chain.addresses.enterprise);
  await send(chain, registry, chain.signers.bureau, 'registerEnterprise', BETA, REGION, chain.addresses.stranger);
  await send(chain, credits, chain.signers.bureau, 'issue', COD, REGION, 2026, 200n);
  cod = (await credits.getFunction('creditId')(COD, REGION, 2026)) as bigint;
  for (const who of ['enterprise', 'oracle', 'stranger'] as const) {
    await send(chain, credits, chain.signers.bureau, 'allocate', cod, chain.addresses[who], 50n);
    await send(chain, deposit, chain.signers.bureau, 'mint', chain.addresses[who], 100_000n);
    await send(chain, deposit, chain.signers[who], 'approve', book.target, 100_000n);
  }
});

const credit = async (who: string): Promise<bigint> => (await credits.getFunction('balanceOf')(who, cod)) as bigint;
const cash = async (who: string): Promise<bigint> => (await deposit.getFunction('balanceOf')(who)) as bigint;
const soon = async (): Promise<number> => (await latestTimestamp(chain)) + 3600;

async function place(who: 'enterprise' | 'oracle' | 'stranger', side: number, price: bigint, amount: bigint, maxFills = MANY): Promise<{ id: bigint; fills: unknown[][] }> {
  const receipt = await send(chain, book, chain.signers[who], 'place', cod, side, price, amount, await soon(), maxFills);
  return {
    id: eventsOf(book, receipt, 'OrderPlaced')[0]!.args[0] as bigint,
    fills: eventsOf(book, receipt, 'OrderFilled').map((e) => [e.args[0], e.args[5], e.args[6]]),
  };
}

/** Every credit and every deposit token is somewhere known: the traders or the book's escrow. */
async function expectConserved(): Promise<void> {
  const holders = [chain.addresses.enterprise, chain.addresses.oracle, chain.addresses.stranger, String(book.target)];
  const credits_ = await Promise.all(holders.map(credit));
  const cash_ = await Promise.all(holders.map(cash));
  expect(credits_.reduce((a, b) => a + b, 0n)).toBe(150n);
  expect(cash_.reduce((a, b) => a + b, 0n)).toBe(300_000n);
}

describe('OrderBook', () => {
  test('a crossing buy fills the best sells first (price, then time), at their prices, in part, with the change back; the rest rests', async () => {
    const a = await place('enterprise', SELL, 100n, 10n); // first at 100
    const b = await place('oracle', SELL, 100n, 10n); // second at 100
    const c = await place('enterprise', SELL, 90n, 5n); // better price, later
    expect(await credit(String(book.target))).toBe(25n);
    expect(await book.getFunction('bestOf')(cod, SELL)).toBe(c.id);

    const buy = await place('stranger', BUY, 100n, 18n);
    expect(buy.fills).toEqual([[c.id, 90n, 5n], [a.id, 100n, 10n], [b.id, 100n, 3n]]);
    // 5 x 90 + 13 x 100 = 1,750 paid; 18 x 100 escrowed: 50 back.
    expect([await credit(chain.addresses.stranger), await cash(chain.addresses.stranger)]).toEqual([68n, 98_250n]);
    expect([await cash(chain.addresses.enterprise), await cash(chain.addresses.oracle)]).toEqual([101_450n, 100_300n]);
    const rest = (await book.getFunction('orderOf')(b.id)) as { remaining: bigint; live: boolean };
    expect([rest.remaining, rest.live]).toEqual([7n, true]);
    expect(await book.getFunction('bestOf')(cod, SELL)).toBe(b.id);
    await expectConserved();
  });

  test("self-trade prevention: an order never fills its owner's resting order, which stays", async () => {
    const own = await place('enterprise', SELL, 100n, 10n);
    const other = await place('oracle', SELL, 110n, 10n);
    const buy = await place('enterprise', BUY, 110n, 4n);
    expect(buy.fills).toEqual([[other.id, 110n, 4n]]);
    expect(((await book.getFunction('orderOf')(own.id)) as { remaining: bigint }).remaining).toBe(10n);
    await expectConserved();
  });

  test('cancel by the owner only, expiry by anyone once expired, expired orders dropped while matching: each refunded', async () => {
    const sell = await place('enterprise', SELL, 100n, 10n);
    await revertOf(as(book, chain.signers.stranger).getFunction('cancel').staticCall(sell.id), 'OrderBookNotOwner');
    await send(chain, book, chain.signers.enterprise, 'cancel', sell.id);
    expect(await credit(chain.addresses.enterprise)).toBe(50n);
    await revertOf(as(book, chain.signers.enterprise).getFunction('cancel').staticCall(sell.id), 'OrderBookNotLive');

    const bid = await place('stranger', BUY, 80n, 10n);
    const ask = await place('oracle', SELL, 120n, 10n);
    await revertOf(as(book, chain.signers.enterprise).getFunction('expire').staticCall(bid.id), 'OrderBookNotExpired');
    await anvilRpc(chain, 'evm_increaseTime', [3601]);
    await anvilRpc(chain, 'evm_mine');
    await send(chain, book, chain.signers.enterprise, 'expire', bid.id);
    expect(await cash(chain.addresses.stranger)).toBe(100_000n);
    // The expired ask is dropped (and refunded) by the next crossing order, which then rests.
    const buy = await place('stranger', BUY, 130n, 5n);
    expect(buy.fills).toEqual([]);
    expect([await credit(chain.addresses.oracle), ((await book.getFunction('orderOf')(ask.id)) as { live: boolean }).live]).toEqual([50n, false]);
    await expectConserved();
  });

  test('a placement consumes at most maxFills resting orders; a blacklisted enterprise cannot place', async () => {
    for (let i = 0; i < 3; i++) await place('oracle', SELL, 100n, 1n);
    const buy = await place('stranger', BUY, 100n, 3n, 2);
    expect(buy.fills).toHaveLength(2);
    expect(((await book.getFunction('orderOf')(buy.id)) as { remaining: bigint }).remaining).toBe(1n);
    await send(chain, blacklist, chain.signers.bureau, 'add', ACME, BLACKLIST_REASONS.tradeViolation, bytes32());
    await revertOf(as(book, chain.signers.enterprise).getFunction('place').staticCall(cod, SELL, 100n, 1n, await soon(), MANY), 'OrderBookBlacklisted');
    await expectConserved();
  });
});
