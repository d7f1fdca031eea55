/**
 * Property-based test on a real anvil node: random sequences of issues, allocations, retirements,
 * negotiated transfers (offers, acceptances, payments, confirmations, cancellations, expiries,
 * reclaims, disputes, arbitrations), order-book orders (placements that fill, cancellations,
 * expiries) and English auctions (lots, bids, settlements) against EmissionCredits,
 * NegotiatedTransfer, OrderBook and EnglishAuction. After every step, whether the contracts took
 * it or refused it: totalSupply + retired + reserve == cap; the balances of every account that can
 * hold credits (the traders and each contract's escrow) add up to the total supply; and every
 * deposit token minted is still held by someone: nothing created or lost.
 * Sequences and steps: RUNS x up to MAX_STEPS.
 */
import { isError, keccak256, toUtf8Bytes } from 'ethers';
import type { Contract } from 'ethers';
import fc from 'fast-check';
import {
  DEPOSIT_TOKEN_ABI,
  DEPOSIT_TOKEN_BYTECODE,
  EMISSION_CREDITS_ABI,
  EMISSION_CREDITS_BYTECODE,
  ENGLISH_AUCTION_ABI,
  ENGLISH_AUCTION_BYTECODE,
  NEGOTIATED_TRANSFER_ABI,
  NEGOTIATED_TRANSFER_BYTECODE,
  ORDER_BOOK_ABI,
  ORDER_BOOK_BYTECODE,
} from './index.js';
import { anvilRpc, deploy, latestTimestamp, send, useTestChain } from './testing/chain-fixture.js';
import type { SignerName, TestChain } from './testing/chain-fixture.js';
import { ACME, BETA, COD, REGION, deployBlacklist, deployRegistry } from './testing/contracts.js';

/** Sequences, and the most steps in one. */
const RUNS = 12;
const MAX_STEPS = 30;
const SERIAL = 'BOC-0001';
/** Deposit tokens each trader is paid in at the bank. */
const MINTED = 1_000_000n;

interface Market {
  credits: Contract;
  transfer: Contract;
  book: Contract;
  auction: Contract;
  id: bigint;
  /** Ids of what was created, in order (the contracts number from 1). */
  offers: bigint[];
  orders: bigint[];
  lots: bigint[];
}

const traders = ['enterprise', 'stranger'] as const satisfies readonly SignerName[];
const trader = fc.constantFrom(...traders);
const offerIndex = fc.nat({ max: 7 });
const step = fc.oneof(
  fc.record({ kind: fc.constant('issue' as const), amount: fc.integer({ min: 1, max: 100 }) }),
  fc.record({ kind: fc.constant('allocate' as const), to: trader, amount: fc.integer({ min: 1, max: 80 }) }),
  fc.record({ kind: fc.constant('offer' as const), seller: trader, amount: fc.integer({ min: 1, max: 60 }) }),
  fc.record({ kind: fc.constantFrom('accept' as const, 'pay' as const, 'confirm' as const, 'cancel' as const, 'sellerDispute' as const, 'expire' as const, 'reclaim' as const, 'buyerDispute' as const), offer: offerIndex }),
  fc.record({ kind: fc.constant('arbitrate' as const), offer: offerIndex, toBuyer: fc.boolean(), rightSerial: fc.boolean() }),
  fc.record({ kind: fc.constant('retire' as const), who: trader, amount: fc.integer({ min: 1, max: 30 }) }),
  // Placements weigh more: the book needs several orders on both sides to cross.
  { arbitrary: fc.record({ kind: fc.constant('place' as const), who: trader, sell: fc.boolean(), price: fc.integer({ min: 90, max: 110 }), amount: fc.integer({ min: 1, max: 20 }) }), weight: 6 },
  fc.record({ kind: fc.constantFrom('cancelOrder' as const, 'expireOrder' as const), order: offerIndex }),
  fc.record({ kind: fc.constant('list' as const), who: trader, amount: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ kind: fc.constant('bid' as const), who: trader, lot: offerIndex, amount: fc.integer({ min: 100, max: 3000 }) }),
  fc.record({ kind: fc.constant('settleLot' as const), lot: offerIndex }),
);
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

let chain: TestChain;
useTestChain((started) => {
  chain = started;
});

describe('EmissionCredits and NegotiatedTransfer under random sequences', () => {
  test(`keep totalSupply + retired + reserve == cap and create or lose no credit (${RUNS} sequences of up to ${MAX_STEPS} steps)`, async () => {
    let stepsRun = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: MAX_STEPS }), async (steps) => {
        const credits = await deploy(chain, EMISSION_CREDITS_ABI, EMISSION_CREDITS_BYTECODE, [chain.addresses.bureau, chain.addresses.admin]);
        const registry = await deployRegistry(chain);
        const blacklist = await deployBlacklist(chain);
        const transfer = await deploy(chain, NEGOTIATED_TRANSFER_ABI, NEGOTIATED_TRANSFER_BYTECODE, [credits.target, registry.target, blacklist.target, chain.addresses.arbitrator, chain.addresses.admin]);
        const deposit = await deploy(chain, DEPOSIT_TOKEN_ABI, DEPOSIT_TOKEN_BYTECODE, ['CNY deposit', 'eCNY', chain.addresses.bureau]);
        const book = await deploy(chain, ORDER_BOOK_ABI, ORDER_BOOK_BYTECODE, [credits.target, deposit.target, registry.target, blacklist.target, chain.addresses.admin]);
        const auction = await deploy(chain, ENGLISH_AUCTION_ABI, ENGLISH_AUCTION_BYTECODE, [credits.target, deposit.target, registry.target, blacklist.target, chain.addresses.admin]);
        for (const exchange of [transfer, book, auction]) {
          await send(chain, credits, chain.signers.admin, 'grantRole', await credits.getFunction('EXCHANGE_ROLE')(), exchange.target);
        }
        for (const who of traders) {
          await send(chain, deposit, chain.signers.bureau, 'mint', chain.addresses[who], MINTED);
          for (const spender of [book, auction]) await send(chain, deposit, chain.signers[who], 'approve', spender.target, MINTED);
        }
        await send(chain, registry, chain.signers.bureau, 'registerEnterprise', ACME, REGION, chain.addresses.enterprise);
        await send(chain, registry, chain.signers.bureau, 'registerEnterprise', BETA, REGION, chain.addresses.stranger);
        await send(chain, credits, chain.signers.bureau, 'issue', COD, REGION, 2026, 50n);
        const id = (await credits.getFunction('creditId')(COD, REGION, 2026)) as bigint;
        // Each trader starts with credits to sell.
        for (const who of traders) await send(chain, credits, chain.signers.bureau, 'allocate', id, chain.addresses[who], 20n);
        const market: Market = { credits, transfer, book, auction, id, offers: [], orders: [], lots: [] };
        const holders = [chain.addresses.enterprise, chain.addresses.stranger, String(transfer.target), String(book.target), String(auction.target)];

        const run = (s: Step): Promise<unknown> => act(chain, market, s);
        const verify = async (): Promise<void> => {
          await check(credits, id, holders);
          const cash = await Promise.all(holders.map(async (h) => (await deposit.getFunction('balanceOf')(h)) as bigint));
          expect(cash.reduce((a, b) => a + b, 0n)).toBe(MINTED * BigInt(traders.length));
          // The book holds exactly what its live orders owe: sells' credits, buys' price x remaining.
          let owedCredits = 0n;
          let owedCash = 0n;
          for (const order of market.orders) {
            const o = (await book.getFunction('orderOf')(order)) as { side: bigint; price: bigint; remaining: bigint; live: boolean };
            if (!o.live) continue;
            if (o.side === 1n) owedCredits += o.remaining;
            else owedCash += o.price * o.remaining;
          }
          expect([(await credits.getFunction('balanceOf')(book.target, id)) as bigint, (await deposit.getFunction('balanceOf')(book.target)) as bigint]).toEqual([owedCredits, owedCash]);
        };
        await verify();
        for (const s of steps) {
          stepsRun += 1;
          try {
            await run(s);
          } catch (error) {
            // The contracts refused the step (a revert): the state must still hold.
            if (!isError(error, 'CALL_EXCEPTION')) throw error;
            refused += 1;
          }
          await verify();
        }
      }),
      { numRuns: RUNS },
    );
    // The sequences did trade: most steps went through.
    expect(stepsRun - refused).toBeGreaterThan(stepsRun / 4);
  }, 180_000);
});

async function check(credits: Contract, id: bigint, holders: readonly string[]): Promise<void> {
  const read = async (fn: string, ...args: unknown[]): Promise<bigint> => (await credits.getFunction(fn)(...args)) as bigint;
  const [supply, retired, reserve, cap] = await Promise.all([read('totalSupply(uint256)', id), read('retiredOf', id), read('reserveOf', id), read('capOf', id)]);
  expect(supply + retired + reserve).toBe(cap);
  const held = (await Promise.all(holders.map((h) => read('balanceOf', h, id)))).reduce((a, b) => a + b, 0n);
  expect(held).toBe(supply);
}

/** One step as its actor would take it; a refusal surfaces as a CALL_EXCEPTION. */
async function act(chain: TestChain, market: Market, s: Step): Promise<unknown> {
  const { credits, transfer, book, auction, id, offers } = market;
  const other = (who: (typeof traders)[number]): (typeof traders)[number] => (who === 'enterprise' ? 'stranger' : 'enterprise');
  const pick = (i: number, from: bigint[] = offers): bigint | undefined => (from.length === 0 ? undefined : from[i % from.length]);
  const offer = 'offer' in s ? pick(s.offer) : undefined;
  const parties = async (o: bigint): Promise<{ seller: (typeof traders)[number]; buyer: (typeof traders)[number] }> => {
    const seller = ((await transfer.getFunction('offerOf')(o)) as { seller: string }).seller === chain.addresses.enterprise ? 'enterprise' : 'stranger';
    return { seller, buyer: other(seller) };
  };
  const later = async (seconds: number): Promise<void> => {
    await anvilRpc(chain, 'evm_increaseTime', [seconds]);
    await anvilRpc(chain, 'evm_mine');
  };
  switch (s.kind) {
    case 'issue':
      return send(chain, credits, chain.signers.bureau, 'issue', COD, REGION, 2026, BigInt(s.amount));
    case 'allocate':
      return send(chain, credits, chain.signers.bureau, 'allocate', id, chain.addresses[s.to], BigInt(s.amount));
    case 'retire':
      return send(chain, credits, chain.signers[s.who], 'retire', chain.addresses[s.who], id, BigInt(s.amount));
    case 'offer': {
      const expiresAt = (await latestTimestamp(chain)) + 600;
      const receipt = await send(chain, transfer, chain.signers[s.seller], 'offer', chain.addresses[other(s.seller)], id, BigInt(s.amount), 1000n, expiresAt, 600, 600);
      offers.push(BigInt(offers.length + 1));
      return receipt;
    }
    case 'place': {
      const receipt = await send(chain, book, chain.signers[s.who], 'place', id, s.sell ? 1 : 0, BigInt(s.price), BigInt(s.amount), (await latestTimestamp(chain)) + 600, 20);
      market.orders.push(BigInt(market.orders.length + 1));
      return receipt;
    }
    case 'cancelOrder':
    case 'expireOrder': {
      const order = pick(s.order, market.orders);
      if (order === undefined) return undefined;
      if (s.kind === 'expireOrder') {
        await later(700);
        return send(chain, book, chain.signers.oracle, 'expire', order);
      }
      const owner = ((await book.getFunction('orderOf')(order)) as { trader: string }).trader === chain.addresses.enterprise ? 'enterprise' : 'stranger';
      return send(chain, book, chain.signers[owner], 'cancel', order);
    }
    case 'list': {
      const receipt = await send(chain, auction, chain.signers[s.who], 'list', id, BigInt(s.amount), 100n, 10n, (await latestTimestamp(chain)) + 600);
      market.lots.push(BigInt(market.lots.length + 1));
      return receipt;
    }
    case 'bid': {
      const lot = pick(s.lot, market.lots);
      return lot === undefined ? undefined : send(chain, auction, chain.signers[s.who], 'bid', lot, BigInt(s.amount));
    }
    case 'settleLot': {
      const lot = pick(s.lot, market.lots);
      if (lot === undefined) return undefined;
      await later(700);
      return send(chain, auction, chain.signers.oracle, 'settle', lot);
    }
    case 'arbitrate':
      if (offer === undefined) return undefined;
      return send(chain, transfer, chain.signers.arbitrator, 'arbitrate', offer, s.toBuyer, toUtf8Bytes(s.rightSerial ? SERIAL : 'forged'), keccak256(toUtf8Bytes('grounds')));
    default: {
      if (offer === undefined) return undefined;
      const { seller, buyer } = await parties(offer);
      switch (s.kind) {
        case 'accept':
          return send(chain, transfer, chain.signers[buyer], 'accept', offer);
        case 'pay':
          return send(chain, transfer, chain.signers[buyer], 'recordPayment', offer, keccak256(toUtf8Bytes('BOC')), 1000n, keccak256(toUtf8Bytes(SERIAL)));
        case 'confirm':
          return send(chain, transfer, chain.signers[seller], 'confirmReceipt', offer);
        case 'cancel':
          return send(chain, transfer, chain.signers[seller], 'cancel', offer);
        case 'sellerDispute':
          return send(chain, transfer, chain.signers[seller], 'dispute', offer, keccak256(toUtf8Bytes('not received')));
        case 'buyerDispute':
          await later(700);
          return send(chain, transfer, chain.signers[buyer], 'dispute', offer, keccak256(toUtf8Bytes('silence')));
        case 'expire':
          await later(700);
          return send(chain, transfer, chain.signers.oracle, 'expire', offer);
        case 'reclaim':
          await later(700);
          return send(chain, transfer, chain.signers[seller], 'reclaim', offer);
      }
    }
  }
  return undefined;
}
