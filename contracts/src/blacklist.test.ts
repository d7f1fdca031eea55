/** Blacklist on a real anvil node: listing and delisting with reason codes and evidence. */
import { ZeroHash } from 'ethers';
import type { Contract } from 'ethers';
import { BLACKLIST_REASONS } from './index.js';
import { as, eventsOf, revertOf, send, useTestChain } from './testing/chain-fixture.js';
import type { TestChain } from './testing/chain-fixture.js';
import { ACME, bytes32, deployBlacklist } from './testing/contracts.js';

let chain: TestChain;
let blacklist: Contract;

useTestChain((started) => {
  chain = started;
});

beforeEach(async () => {
  blacklist = await deployBlacklist(chain);
});

describe('Blacklist', () => {
  test('the bureau lists and delists an enterprise, each with a reason code and evidence hash, and events for both', async () => {
    const evidence = bytes32();
    const listed = await send(chain, blacklist, chain.signers.bureau, 'add', ACME, BLACKLIST_REASONS.illegalDischarge, evidence);
    expect(await blacklist.getFunction('isBlacklisted')(ACME)).toBe(true);
    expect(eventsOf(blacklist, listed, 'EnterpriseBlacklisted').map((e) => e.args.toArray())).toEqual([
      [ACME, 2n, evidence, chain.addresses.bureau],
    ]);
    const entry = await blacklist.getFunction('entryOf')(ACME);
    expect([entry.listed, entry.reasonCode, entry.evidenceHash]).toEqual([true, 2n, evidence]);

    const appeal = bytes32();
    const delisted = await send(chain, blacklist, chain.signers.bureau, 'remove', ACME, BLACKLIST_REASONS.appealUpheld, appeal);
    expect(await blacklist.getFunction('isBlacklisted')(ACME)).toBe(false);
    expect(eventsOf(blacklist, delisted, 'EnterpriseDelisted').map((e) => e.args.toArray())).toEqual([
      [ACME, 101n, appeal, chain.addresses.bureau],
    ]);
  });

  test('listing twice, delisting an enterprise not listed, or changing without grounds is refused', async () => {
    const bureau = as(blacklist, chain.signers.bureau);
    const evidence = bytes32();
    expect(await revertOf(bureau.getFunction('remove').staticCall(ACME, 100, evidence), 'BlacklistNotListed')).toEqual([ACME]);
    await send(chain, blacklist, chain.signers.bureau, 'add', ACME, 1, evidence);
    expect(await revertOf(bureau.getFunction('add').staticCall(ACME, 1, evidence), 'BlacklistAlreadyListed')).toEqual([ACME]);
    await revertOf(bureau.getFunction('remove').staticCall(ACME, 0, evidence), 'BlacklistMissingGrounds');
    await revertOf(bureau.getFunction('remove').staticCall(ACME, 100, ZeroHash), 'BlacklistMissingGrounds');
    await revertOf(bureau.getFunction('add').staticCall(ZeroHash, 1, evidence), 'BlacklistMissingGrounds');
  });
});
