/**
 * EmissionCredits on a real anvil node: credit types as ERC-1155 ids, the bureau's cap and
 * reserve, allocation, moves only through an exchange, retirement, pause, and the invariant
 * totalSupply + retired + reserve == cap after every step. The `oracle` signer stands in for an
 * exchange contract here (it holds EXCHANGE_ROLE); `arbitrator` is the guardian.
 */
import type { Contract } from 'ethers';
import { EMISSION_CREDITS_ABI, EMISSION_CREDITS_BYTECODE } from './index.js';
import { as, deploy, eventsOf, revertOf, send, useTestChain } from './testing/chain-fixture.js';
import type { TestChain } from './testing/chain-fixture.js';
import { COD, NH3N, REGION } from './testing/contracts.js';

let chain: TestChain;
let credits: Contract;

useTestChain((started) => {
  chain = started;
});

beforeEach(async () => {
  credits = await deploy(chain, EMISSION_CREDITS_ABI, EMISSION_CREDITS_BYTECODE, [chain.addresses.bureau, chain.addresses.arbitrator]);
  await send(chain, credits, chain.signers.admin, 'grantRole', await credits.getFunction('EXCHANGE_ROLE')(), chain.addresses.oracle);
});

const read = async (fn: string, ...args: unknown[]): Promise<bigint> => (await credits.getFunction(fn)(...args)) as bigint;

/** totalSupply(id) + retiredOf(id) + reserveOf(id) == capOf(id). */
async function expectInvariant(id: bigint): Promise<void> {
  const [supply, retired, reserve, cap] = await Promise.all([read('totalSupply(uint256)', id), read('retiredOf', id), read('reserveOf', id), read('capOf', id)]);
  expect(supply + retired + reserve).toBe(cap);
}

async function issued(pollutant: string, vintage: number, amount: bigint): Promise<bigint> {
  await send(chain, credits, chain.signers.bureau, 'issue', pollutant, REGION, vintage, amount);
  return read('creditId', pollutant, REGION, vintage);
}

describe('EmissionCredits', () => {
  test('a credit type is one id per pollutant, region and vintage; the bureau issues a cap into its reserve and allocates from it', async () => {
    const receipt = await send(chain, credits, chain.signers.bureau, 'issue', COD, REGION, 2026, 1_000n);
    const cod2026 = await read('creditId', COD, REGION, 2026);
    expect(eventsOf(credits, receipt, 'CreditsIssued').map((e) => e.args.toArray())).toEqual([[cod2026, COD, REGION, 2026n, 1_000n, 1_000n]]);
    expect(await read('creditId', COD, REGION, 2027)).not.toBe(cod2026);
    expect(await read('creditId', NH3N, REGION, 2026)).not.toBe(cod2026);
    const type = await credits.getFunction('creditType')(cod2026);
    expect([type.pollutant, type.region, type.vintage, type.exists]).toEqual([COD, REGION, 2026n, true]);

    const allocation = await send(chain, credits, chain.signers.bureau, 'allocate', cod2026, chain.addresses.enterprise, 300n);
    // Standard tooling sees a mint: TransferSingle from the zero address.
    expect(eventsOf(credits, allocation, 'TransferSingle').map((e) => e.args.toArray().slice(1))).toEqual([['0x0000000000000000000000000000000000000000', chain.addresses.enterprise, cod2026, 300n]]);
    expect(await read('balanceOf', chain.addresses.enterprise, cod2026)).toBe(300n);
    expect(await read('reserveOf', cod2026)).toBe(700n);
    await expectInvariant(cod2026);
    const bureau = as(credits, chain.signers.bureau);
    expect(await revertOf(bureau.getFunction('allocate').staticCall(cod2026, chain.addresses.enterprise, 701n), 'EmissionCreditsReserveTooLow')).toEqual([cod2026, 700n, 701n]);
    await revertOf(bureau.getFunction('allocate').staticCall(12345n, chain.addresses.enterprise, 1n), 'EmissionCreditsUnknownType');
    await revertOf(bureau.getFunction('issue').staticCall(COD, REGION, 0, 5n), 'EmissionCreditsInvalidType');
  });

  test("a holder cannot move its credits itself, with or without an approval; an exchange moves them without one", async () => {
    const id = await issued(COD, 2026, 500n);
    await send(chain, credits, chain.signers.bureau, 'allocate', id, chain.addresses.enterprise, 200n);
    const holder = as(credits, chain.signers.enterprise);
    const direct = holder.getFunction('safeTransferFrom').staticCall(chain.addresses.enterprise, chain.addresses.stranger, id, 50n, '0x');
    expect(await revertOf(direct, 'EmissionCreditsTransferOutsideExchange')).toEqual([chain.addresses.enterprise]);
    // An approval does not make a stranger an exchange.
    await send(chain, credits, chain.signers.enterprise, 'setApprovalForAll', chain.addresses.stranger, true);
    const approved = as(credits, chain.signers.stranger).getFunction('safeTransferFrom').staticCall(chain.addresses.enterprise, chain.addresses.stranger, id, 50n, '0x');
    expect(await revertOf(approved, 'EmissionCreditsTransferOutsideExchange')).toEqual([chain.addresses.stranger]);

    await send(chain, credits, chain.signers.oracle, 'safeTransferFrom', chain.addresses.enterprise, chain.addresses.stranger, id, 50n, '0x');
    expect(await read('balanceOf', chain.addresses.enterprise, id)).toBe(150n);
    expect(await read('balanceOf', chain.addresses.stranger, id)).toBe(50n);
    await expectInvariant(id);
  });

  test('a holder retires its own credits, an exchange may retire them, nobody else; retired credits stay counted against the cap', async () => {
    const id = await issued(NH3N, 2026, 100n);
    await send(chain, credits, chain.signers.bureau, 'allocate', id, chain.addresses.enterprise, 60n);
    const receipt = await send(chain, credits, chain.signers.enterprise, 'retire', chain.addresses.enterprise, id, 10n);
    expect(eventsOf(credits, receipt, 'CreditsRetired').map((e) => e.args.toArray())).toEqual([[id, chain.addresses.enterprise, 10n, chain.addresses.enterprise]]);
    await send(chain, credits, chain.signers.oracle, 'retire', chain.addresses.enterprise, id, 5n);
    const stranger = as(credits, chain.signers.stranger).getFunction('retire').staticCall(chain.addresses.enterprise, id, 1n);
    expect(await revertOf(stranger, 'EmissionCreditsNotHolder')).toEqual([chain.addresses.stranger, chain.addresses.enterprise]);
    await revertOf(as(credits, chain.signers.enterprise).getFunction('retire').staticCall(chain.addresses.enterprise, id, 46n), 'ERC1155InsufficientBalance');
    expect([await read('balanceOf', chain.addresses.enterprise, id), await read('retiredOf', id), await read('reserveOf', id)]).toEqual([45n, 15n, 40n]);
    await expectInvariant(id);
  });

  test('the guardian pauses every movement, and only the guardian; the roles refuse everyone else', async () => {
    const id = await issued(COD, 2027, 50n);
    await send(chain, credits, chain.signers.bureau, 'allocate', id, chain.addresses.enterprise, 20n);
    for (const who of ['bureau', 'enterprise', 'stranger'] as const) {
      await revertOf(as(credits, chain.signers[who]).getFunction('pause').staticCall(), 'AccessControlUnauthorizedAccount');
    }
    await send(chain, credits, chain.signers.arbitrator, 'pause');
    const bureau = as(credits, chain.signers.bureau);
    await revertOf(bureau.getFunction('allocate').staticCall(id, chain.addresses.enterprise, 1n), 'EnforcedPause');
    await revertOf(bureau.getFunction('issue').staticCall(COD, REGION, 2027, 1n), 'EnforcedPause');
    await revertOf(as(credits, chain.signers.oracle).getFunction('safeTransferFrom').staticCall(chain.addresses.enterprise, chain.addresses.stranger, id, 1n, '0x'), 'EnforcedPause');
    await revertOf(as(credits, chain.signers.enterprise).getFunction('retire').staticCall(chain.addresses.enterprise, id, 1n), 'EnforcedPause');
    await send(chain, credits, chain.signers.arbitrator, 'unpause');
    await send(chain, credits, chain.signers.bureau, 'allocate', id, chain.addresses.enterprise, 1n);
    for (const who of ['enterprise', 'oracle', 'stranger'] as const) {
      const caller = as(credits, chain.signers[who]);
      expect(await revertOf(caller.getFunction('issue').staticCall(COD, REGION, 2028, 1n), 'AccessControlUnauthorizedAccount')).toEqual([chain.addresses[who], await credits.getFunction('BUREAU_ROLE')()]);
      await revertOf(caller.getFunction('allocate').staticCall(id, chain.addresses[who], 1n), 'AccessControlUnauthorizedAccount');
    }
    await expectInvariant(id);
  });

  test('reads as ERC-1155 (interface ids), so explorers and indexers show holdings without our code', async () => {
    expect(await credits.getFunction('supportsInterface')('0xd9b67a26')).toBe(true); // ERC-1155
    expect(await credits.getFunction('supportsInterface')('0x7965db0b')).toBe(true); // AccessControl
  });
});
