/**
 * NegotiatedTransfer on a real anvil node: an offer to one named buyer with the credits in
 * escrow, payment by bank transfer with evidence, the seller's confirmation, disputes and the
 * arbitrator's one decision; every deadline in both directions; the blacklist; the seed's P2P
 * defects. Seller: `enterprise` (ACME); buyer: `stranger` (BETA); `arbitrator` arbitrates.
 */
import { keccak256, toUtf8Bytes } from 'ethers';
import type { Contract } from 'ethers';
import { BLACKLIST_REASONS, EMISSION_CREDITS_ABI, EMISSION_CREDITS_BYTECODE, NEGOTIATED_TRANSFER_ABI, NEGOTIATED_TRANSFER_BYTECODE } from './index.js';
import { anvilRpc, as, deploy, eventsOf, latestTimestamp, revertOf, send, useTestChain } from './testing/chain-fixture.js';
import type { TestChain } from './testing/chain-fixture.js';
import { ACME, BETA, COD, REGION, bytes32, deployBlacklist, deployRegistry } from './testing/contracts.js';

const STATE = { None: 0n, Offered: 1n, Accepted: 2n, Paid: 3n, Disputed: 4n, Settled: 5n, Closed: 6n } as const;
const SERIAL = 'ICBC-20261204-000123';
const HOUR = 3600;

let chain: TestChain;
let credits: Contract;
let blacklist: Contract;
let transfer: Contract;
let cod: bigint;

useTestChain((started) => {
  chain = started;
});

beforeEach(async () => {
  credits = await deploy(chain, EMISSION_CREDITS_ABI, EMISSION_CREDITS_BYTECODE, [chain.addresses.bureau, chain.addresses.admin]);
  const registry = await deployRegistry(chain);
  blacklist = await deployBlacklist(chain);
  transfer = await deploy(chain, NEGOTIATED_TRANSFER_ABI, NEGOTIATED_TRANSFER_BYTECODE, [credits.target, registry.target, blacklist.target, chain.addresses.arbitrator, chain.addresses.admin]);
  await send(chain, credits, chain.signers.admin, 'grantRole', await credits.getFunction('EXCHANGE_ROLE')(), transfer.target);
  await send(chain, registry, chain.signers.bureau, 'registerEnterprise', ACME, REGION, chain.addresses.enterprise);
  await send(chain, registry, chain.signers.bureau, 'registerEnterprise', BETA, REGION, chain.addresses.stranger);
  await send(chain, credits, chain.signers.bureau, 'issue', COD, REGION, 2026, 1_000n);
  cod = (await credits.getFunction('creditId')(COD, REGION, 2026)) as bigint;
  await send(chain, credits, chain.signers.bureau, 'allocate', cod, chain.addresses.enterprise, 100n);
});

const balance = async (who: string): Promise<bigint> => (await credits.getFunction('balanceOf')(who, cod)) as bigint;
const stateOf = async (id: bigint): Promise<bigint> => ((await transfer.getFunction('offerOf')(id)) as { state: bigint }).state;
/** Mines an empty block at `seconds`: what follows runs after it. */
const at = async (seconds: number | bigint): Promise<void> => {
  await anvilRpc(chain, 'evm_setNextBlockTimestamp', [Number(seconds)]);
  await anvilRpc(chain, 'evm_mine');
};

/** ACME offers 40 credits to BETA for 12,000.00 yuan; returns the offer id and its expiry. */
async function offered(): Promise<{ id: bigint; expiresAt: number }> {
  const expiresAt = (await latestTimestamp(chain)) + 2 * HOUR;
  const receipt = await send(chain, transfer, chain.signers.enterprise, 'offer', chain.addresses.stranger, cod, 40n, 1_200_000n, expiresAt, HOUR, HOUR);
  const [event] = eventsOf(transfer, receipt, 'TransferOffered');
  return { id: event!.args[0] as bigint, expiresAt };
}

async function paid(): Promise<{ id: bigint; confirmBy: bigint }> {
  const { id } = await offered();
  await send(chain, transfer, chain.signers.stranger, 'accept', id);
  const receipt = await send(chain, transfer, chain.signers.stranger, 'recordPayment', id, keccak256(toUtf8Bytes('ICBC')), 1_200_000n, keccak256(toUtf8Bytes(SERIAL)));
  return { id, confirmBy: eventsOf(transfer, receipt, 'PaymentRecorded')[0]!.args[4] as bigint };
}

describe('NegotiatedTransfer', () => {
  test('offer escrows, the buyer accepts and records the bank evidence, the seller confirms: the credits move once', async () => {
    const { id } = await offered();
    expect([await balance(chain.addresses.enterprise), await balance(String(transfer.target))]).toEqual([60n, 40n]);
    await send(chain, transfer, chain.signers.stranger, 'accept', id);
    await send(chain, transfer, chain.signers.stranger, 'recordPayment', id, keccak256(toUtf8Bytes('ICBC')), 1_200_000n, keccak256(toUtf8Bytes(SERIAL)));
    expect(await stateOf(id)).toBe(STATE.Paid);
    const receipt = await send(chain, transfer, chain.signers.enterprise, 'confirmReceipt', id);
    expect(eventsOf(transfer, receipt, 'TransferSettled').map((e) => e.args.toArray())).toEqual([[id, chain.addresses.stranger, cod, 40n]]);
    expect([await balance(chain.addresses.enterprise), await balance(chain.addresses.stranger), await balance(String(transfer.target))]).toEqual([60n, 40n, 0n]);
    await revertOf(as(transfer, chain.signers.enterprise).getFunction('confirmReceipt').staticCall(id), 'NegotiatedTransferWrongState');
    // Nothing created or lost: the cap is all in balances and the reserve.
    expect((await credits.getFunction('totalSupply(uint256)')(cod)) + (await credits.getFunction('reserveOf')(cod))).toBe(1_000n);
  });

  test("the seed's P2P defects cannot happen here: the serial is checked only after it is recorded, and the deadline runs forward", async () => {
    // The seed checked the bank serial before the buyer could set it, and tested `now > deadline` to accept.
    const { id } = await offered();
    await send(chain, transfer, chain.signers.stranger, 'accept', id); // before the expiry: accepted
    expect(await stateOf(id)).toBe(STATE.Accepted);
    await send(chain, transfer, chain.signers.stranger, 'recordPayment', id, keccak256(toUtf8Bytes('ICBC')), 1_200_000n, keccak256(toUtf8Bytes(SERIAL)));
    await send(chain, transfer, chain.signers.enterprise, 'confirmReceipt', id); // a purchase that goes through
    expect(await balance(chain.addresses.stranger)).toBe(40n);
    const late = await offered();
    await at(late.expiresAt + 1);
    await revertOf(as(transfer, chain.signers.stranger).getFunction('accept').staticCall(late.id), 'NegotiatedTransferDeadline');
  });

  test('every deadline, both ways: expiry, payment, reclaim', async () => {
    const { id, expiresAt } = await offered();
    await revertOf(as(transfer, chain.signers.oracle).getFunction('expire').staticCall(id), 'NegotiatedTransferDeadline');
    await at(expiresAt + 1);
    await send(chain, transfer, chain.signers.oracle, 'expire', id); // anyone, once expired: back to the seller
    expect([await stateOf(id), await balance(chain.addresses.enterprise)]).toEqual([STATE.Closed, 100n]);

    const second = await offered();
    await send(chain, transfer, chain.signers.stranger, 'accept', second.id);
    const payBy = ((await transfer.getFunction('offerOf')(second.id)) as { payBy: bigint }).payBy;
    await revertOf(as(transfer, chain.signers.enterprise).getFunction('reclaim').staticCall(second.id), 'NegotiatedTransferDeadline');
    await at(payBy + 1n);
    const evidence = [keccak256(toUtf8Bytes('ICBC')), 1_200_000n, keccak256(toUtf8Bytes(SERIAL))];
    await revertOf(as(transfer, chain.signers.stranger).getFunction('recordPayment').staticCall(second.id, ...evidence), 'NegotiatedTransferDeadline');
    await send(chain, transfer, chain.signers.enterprise, 'reclaim', second.id);
    expect([await stateOf(second.id), await balance(chain.addresses.enterprise)]).toEqual([STATE.Closed, 100n]);
  });

  test('disputes: the seller says not received before its deadline, the buyer only after the seller stayed silent past it', async () => {
    const first = await paid();
    await revertOf(as(transfer, chain.signers.stranger).getFunction('dispute').staticCall(first.id, bytes32()), 'NegotiatedTransferDeadline');
    await send(chain, transfer, chain.signers.enterprise, 'dispute', first.id, bytes32());
    expect(await stateOf(first.id)).toBe(STATE.Disputed);

    const second = await paid();
    await at(second.confirmBy + 1n);
    await revertOf(as(transfer, chain.signers.enterprise).getFunction('dispute').staticCall(second.id, bytes32()), 'NegotiatedTransferDeadline');
    await revertOf(as(transfer, chain.signers.oracle).getFunction('dispute').staticCall(second.id, bytes32()), 'NegotiatedTransferNotParty');
    await send(chain, transfer, chain.signers.stranger, 'dispute', second.id, bytes32());
    expect(await stateOf(second.id)).toBe(STATE.Disputed);
  });

  test('the arbitrator decides once: to the buyer only against the serial matching its hash, or back to the seller; the loser is named', async () => {
    const won = await paid();
    await send(chain, transfer, chain.signers.enterprise, 'dispute', won.id, bytes32());
    const arbitrator = as(transfer, chain.signers.arbitrator);
    await revertOf(arbitrator.getFunction('arbitrate').staticCall(won.id, true, toUtf8Bytes('ICBC-forged'), bytes32()), 'NegotiatedTransferSerialMismatch');
    for (const who of ['enterprise', 'stranger', 'bureau'] as const) {
      await revertOf(as(transfer, chain.signers[who]).getFunction('arbitrate').staticCall(won.id, true, toUtf8Bytes(SERIAL), bytes32()), 'AccessControlUnauthorizedAccount');
    }
    const reason = bytes32();
    const receipt = await send(chain, transfer, chain.signers.arbitrator, 'arbitrate', won.id, true, toUtf8Bytes(SERIAL), reason);
    expect(eventsOf(transfer, receipt, 'TransferArbitrated').map((e) => e.args.toArray())).toEqual([[won.id, true, chain.addresses.enterprise, reason, chain.addresses.arbitrator]]);
    expect(await balance(chain.addresses.stranger)).toBe(40n);
    await revertOf(arbitrator.getFunction('arbitrate').staticCall(won.id, false, '0x', bytes32()), 'NegotiatedTransferWrongState');

    const lost = await paid();
    await send(chain, transfer, chain.signers.enterprise, 'dispute', lost.id, bytes32());
    const back = await send(chain, transfer, chain.signers.arbitrator, 'arbitrate', lost.id, false, '0x', bytes32());
    expect(eventsOf(transfer, back, 'TransferArbitrated')[0]!.args[2]).toBe(chain.addresses.stranger);
    expect([await stateOf(lost.id), await balance(chain.addresses.enterprise)]).toEqual([STATE.Closed, 60n]);
  });

  test('only the parties act: a stranger cannot accept, the buyer cannot confirm or cancel; a blacklisted enterprise cannot offer or accept', async () => {
    const { id } = await offered();
    await revertOf(as(transfer, chain.signers.oracle).getFunction('accept').staticCall(id), 'NegotiatedTransferNotParty');
    await revertOf(as(transfer, chain.signers.stranger).getFunction('cancel').staticCall(id), 'NegotiatedTransferNotParty');
    await send(chain, blacklist, chain.signers.bureau, 'add', BETA, BLACKLIST_REASONS.tradeViolation, bytes32());
    expect(await revertOf(as(transfer, chain.signers.stranger).getFunction('accept').staticCall(id), 'NegotiatedTransferBlacklisted')).toEqual([chain.addresses.stranger]);
    const expiresAt = (await latestTimestamp(chain)) + HOUR;
    await revertOf(as(transfer, chain.signers.enterprise).getFunction('offer').staticCall(chain.addresses.stranger, cod, 1n, 1n, expiresAt, HOUR, HOUR), 'NegotiatedTransferBlacklisted');
    await send(chain, transfer, chain.signers.enterprise, 'cancel', id);
    expect(await balance(chain.addresses.enterprise)).toBe(100n);
  });
});
