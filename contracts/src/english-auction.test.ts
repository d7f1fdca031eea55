/**
 * EnglishAuction on a real anvil node: a lot escrowed when listed, every standing bid escrowed in
 * deposit tokens, the outbid bidder refunded at once, settlement after the end (to the highest
 * bidder, or back to the seller with no bid), the reserve and the increment, the blacklist; and
 * the seed's auction defect (bids never escrowed, its token never set) shown not to happen.
 * Seller: `enterprise` (ACME); bidders: `stranger` (BETA) and `bureau` (no enterprise: a bank's customer).
 */
import type { Contract } from 'ethers';
import { BLACKLIST_REASONS, DEPOSIT_TOKEN_ABI, DEPOSIT_TOKEN_BYTECODE, EMISSION_CREDITS_ABI, EMISSION_CREDITS_BYTECODE, ENGLISH_AUCTION_ABI, ENGLISH_AUCTION_BYTECODE } from './index.js';
import { anvilRpc, as, deploy, eventsOf, latestTimestamp, revertOf, send, useTestChain } from './testing/chain-fixture.js';
import type { TestChain } from './testing/chain-fixture.js';
import { ACME, BETA, COD, REGION, bytes32, deployBlacklist, deployRegistry } from './testing/contracts.js';

let chain: TestChain;
let credits: Contract;
let deposit: Contract;
let blacklist: Contract;
let auction: Contract;
let cod: bigint;

useTestChain((started) => {
  chain = started;
});

beforeEach(async () => {
  credits = await deploy(chain, EMISSION_CREDITS_ABI, EMISSION_CREDITS_BYTECODE, [chain.addresses.bureau, chain.addresses.admin]);
  deposit = await deploy(chain, DEPOSIT_TOKEN_ABI, DEPOSIT_TOKEN_BYTECODE, ['CNY deposit', 'eCNY', chain.addresses.oracle]);
  const registry = await deployRegistry(chain);
  blacklist = await deployBlacklist(chain);
  auction = await deploy(chain, ENGLISH_AUCTION_ABI, ENGLISH_AUCTION_BYTECODE, [credits.target, deposit.target, registry.target, blacklist.target, chain.addresses.admin]);
  await send(chain, credits, chain.signers.admin, 'grantRole', await credits.getFunction('EXCHANGE_ROLE')(), auction.target);
  await send(chain, registry, chain.signers.bureau, 'registerEnterprise', ACME, REGION, chain.addresses.enterprise);
  await send(chain, registry, chain.signers.bureau, 'registerEnterprise', BETA, REGION, chain.addresses.stranger);
  await send(chain, credits, chain.signers.bureau, 'issue', COD, REGION, 2026, 100n);
  cod = (await credits.getFunction('creditId')(COD, REGION, 2026)) as bigint;
  await send(chain, credits, chain.signers.bureau, 'allocate', cod, chain.addresses.enterprise, 50n);
  for (const who of ['stranger', 'bureau'] as const) {
    await send(chain, deposit, chain.signers.oracle, 'mint', chain.addresses[who], 100_000n);
    await send(chain, deposit, chain.signers[who], 'approve', auction.target, 100_000n);
  }
});

const cash = async (who: string): Promise<bigint> => (await deposit.getFunction('balanceOf')(who)) as bigint;
const credit = async (who: string): Promise<bigint> => (await credits.getFunction('balanceOf')(who, cod)) as bigint;
const ended = async (endsAt: number): Promise<void> => {
  await anvilRpc(chain, 'evm_setNextBlockTimestamp', [endsAt + 1]);
  await anvilRpc(chain, 'evm_mine');
};

/** ACME lists 20 credits, reserve 10,000 fen, increment 500, ending in an hour. */
async function listed(): Promise<{ id: bigint; endsAt: number }> {
  const endsAt = (await latestTimestamp(chain)) + 3600;
  const receipt = await send(chain, auction, chain.signers.enterprise, 'list', cod, 20n, 10_000n, 500n, endsAt);
  return { id: eventsOf(auction, receipt, 'LotListed')[0]!.args[0] as bigint, endsAt };
}

describe('EnglishAuction', () => {
  test("the seed's auction defect cannot happen here: the lot and every standing bid sit in escrow, the outbid bidder is refunded at once", async () => {
    const { id, endsAt } = await listed();
    expect([await credit(chain.addresses.enterprise), await credit(String(auction.target))]).toEqual([30n, 20n]);
    await send(chain, auction, chain.signers.stranger, 'bid', id, 10_000n);
    expect(await cash(String(auction.target))).toBe(10_000n);
    const outbid = await send(chain, auction, chain.signers.bureau, 'bid', id, 10_500n);
    expect(eventsOf(auction, outbid, 'BidRefunded').map((e) => e.args.toArray())).toEqual([[id, chain.addresses.stranger, 10_000n]]);
    expect([await cash(chain.addresses.stranger), await cash(chain.addresses.bureau), await cash(String(auction.target))]).toEqual([100_000n, 89_500n, 10_500n]);

    await revertOf(as(auction, chain.signers.oracle).getFunction('settle').staticCall(id), 'EnglishAuctionNotEnded');
    await ended(endsAt);
    await revertOf(as(auction, chain.signers.stranger).getFunction('bid').staticCall(id, 20_000n), 'EnglishAuctionEnded');
    const settled = await send(chain, auction, chain.signers.oracle, 'settle', id); // anyone may settle
    expect(eventsOf(auction, settled, 'LotSettled').map((e) => e.args.toArray())).toEqual([[id, chain.addresses.bureau, 10_500n]]);
    expect([await credit(chain.addresses.bureau), await cash(chain.addresses.enterprise), await cash(String(auction.target)), await credit(String(auction.target))]).toEqual([20n, 10_500n, 0n, 0n]);
    await revertOf(as(auction, chain.signers.oracle).getFunction('settle').staticCall(id), 'EnglishAuctionSettled');
  });

  test('a bid must reach the reserve, then beat the standing bid by the increment; the seller cannot bid', async () => {
    const { id } = await listed();
    expect(await revertOf(as(auction, chain.signers.stranger).getFunction('bid').staticCall(id, 9_999n), 'EnglishAuctionBidTooLow')).toEqual([id, 9_999n, 10_000n]);
    await send(chain, auction, chain.signers.stranger, 'bid', id, 10_000n);
    expect(await revertOf(as(auction, chain.signers.bureau).getFunction('bid').staticCall(id, 10_499n), 'EnglishAuctionBidTooLow')).toEqual([id, 10_499n, 10_500n]);
    await revertOf(as(auction, chain.signers.enterprise).getFunction('bid').staticCall(id, 50_000n), 'EnglishAuctionInvalid');
  });

  test('with no bid the lot goes back to the seller; a blacklisted enterprise neither lists nor bids', async () => {
    const { id, endsAt } = await listed();
    await send(chain, blacklist, chain.signers.bureau, 'add', BETA, BLACKLIST_REASONS.tradeViolation, bytes32());
    expect(await revertOf(as(auction, chain.signers.stranger).getFunction('bid').staticCall(id, 10_000n), 'EnglishAuctionBlacklisted')).toEqual([chain.addresses.stranger]);
    await send(chain, blacklist, chain.signers.bureau, 'add', ACME, BLACKLIST_REASONS.illegalDischarge, bytes32());
    await revertOf(as(auction, chain.signers.enterprise).getFunction('list').staticCall(cod, 1n, 1n, 1n, endsAt), 'EnglishAuctionBlacklisted');
    await ended(endsAt);
    await send(chain, auction, chain.signers.oracle, 'settle', id);
    expect([await credit(chain.addresses.enterprise), await credit(String(auction.target))]).toEqual([50n, 0n]);
  });
});
