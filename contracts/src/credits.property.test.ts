/**
 * Property-based test on a real anvil node: random sequences of issues, allocations, offers,
 * acceptances, payments, confirmations, cancellations, expiries, reclaims, disputes,
 * arbitrations and retirements against EmissionCredits and NegotiatedTransfer. After every step,
 * whether the contracts took it or refused it: totalSupply + retired + reserve == cap, and the
 * balances of every account that can hold credits (the enterprises and the escrow) add up to the
 * total supply: no credit created or lost. Sequences and steps: RUNS x up to MAX_STEPS.
 */
import { isError, keccak256, toUtf8Bytes } from 'ethers';
import type { Contract } from 'ethers';
import fc from 'fast-check';
import { EMISSION_CREDITS_ABI, EMISSION_CREDITS_BYTECODE, NEGOTIATED_TRANSFER_ABI, NEGOTIATED_TRANSFER_BYTECODE } from './index.js';
import { anvilRpc, deploy, latestTimestamp, send, useTestChain } from './testing/chain-fixture.js';
import type { SignerName, TestChain } from './testing/chain-fixture.js';
import { ACME, BETA, COD, REGION, deployBlacklist, deployRegistry } from './testing/contracts.js';

/** Sequences, and the most steps in one. */
const RUNS = 12;
const MAX_STEPS = 30;
const SERIAL = 'BOC-0001';

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
        await send(chain, credits, chain.signers.admin, 'grantRole', await credits.getFunction('EXCHANGE_ROLE')(), transfer.target);
        await send(chain, registry, chain.signers.bureau, 'registerEnterprise', ACME, REGION, chain.addresses.enterprise);
        await send(chain, registry, chain.signers.bureau, 'registerEnterprise', BETA, REGION, chain.addresses.stranger);
        await send(chain, credits, chain.signers.bureau, 'issue', COD, REGION, 2026, 50n);
        const id = (await credits.getFunction('creditId')(COD, REGION, 2026)) as bigint;
        const offers: bigint[] = [];
        const holders = [chain.addresses.enterprise, chain.addresses.stranger, String(transfer.target)];

        const run = (s: Step): Promise<unknown> => act(chain, credits, transfer, id, offers, s);
        await check(credits, id, holders);
        for (const s of steps) {
          stepsRun += 1;
          try {
            await run(s);
          } catch (error) {
            // The contracts refused the step (a revert): the state must still hold.
            if (!isError(error, 'CALL_EXCEPTION')) throw error;
            refused += 1;
          }
          await check(credits, id, holders);
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
async function act(chain: TestChain, credits: Contract, transfer: Contract, id: bigint, offers: bigint[], s: Step): Promise<unknown> {
  const other = (who: (typeof traders)[number]): (typeof traders)[number] => (who === 'enterprise' ? 'stranger' : 'enterprise');
  const pick = (i: number): bigint | undefined => (offers.length === 0 ? undefined : offers[i % offers.length]);
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
