/**
 * Every mutating function of every contract refuses every account without its role
 * (admin, bureau, oracle, enterprise, arbitrator, stranger), on a real anvil node.
 */
import { Wallet } from 'ethers';
import type { Contract } from 'ethers';
import { idKey } from './index.js';
import { send, useTestChain } from './testing/chain-fixture.js';
import type { TestChain } from './testing/chain-fixture.js';
import { ACME, BETA, COD, DEV1, OUT1, REGION, bytes32 as evidence, deployAll } from './testing/contracts.js';
import { shouldRefuseEveryAccountWithoutTheRole } from './testing/access-control.behavior.js';

let chain: TestChain;
let ledger: Contract;
let registry: Contract;
let blacklist: Contract;
let alerts: Contract;
/** An alert recorded by the oracle and still pending: the bureau's verdict calls need one. */
const ALERT = evidence();

useTestChain(async (started) => {
  chain = started;
  ({ ledger, registry, blacklist, alerts } = await deployAll(chain));
  // State the holders' calls need: a registered enterprise with an outfall and a device, a listed one.
  const b = chain.signers.bureau;
  await send(chain, registry, b, 'registerEnterprise', ACME, REGION, chain.addresses.enterprise);
  await send(chain, registry, b, 'addOutfall', ACME, OUT1);
  await send(chain, registry, b, 'enrollDevice', DEV1, ACME, OUT1, evidence());
  await send(chain, blacklist, b, 'add', BETA, 1, evidence());
  await send(chain, alerts, chain.signers.oracle, 'record', ALERT, evidence(), ACME, OUT1, idKey('dilution'), 1n, 2n);
});

shouldRefuseEveryAccountWithoutTheRole('EmissionLedger', () => ({ chain, contract: ledger }), [
  { fn: 'allocate', role: 'BUREAU_ROLE', args: () => [ACME, COD, 1n] },
  { fn: 'issuePermit', role: 'BUREAU_ROLE', args: () => [ACME, COD, 2026, 1n] },
  { fn: 'allocateCap', role: 'BUREAU_ROLE', args: () => [REGION, COD, 2026, 10n, [ACME, BETA], [1n, 2n]] },
  { fn: 'settle', role: 'ORACLE_ROLE', args: () => [1n, evidence(), 1, [ACME], [COD], [1n]] },
  { fn: 'anchor', role: 'ORACLE_ROLE', args: () => [2n, evidence(), 1] },
  { fn: 'setWarningHorizon', role: 'BUREAU_ROLE', args: () => [3600n] },
  { fn: 'pause', role: 'BUREAU_ROLE', args: () => [] },
  // The role check comes first: a holder reaches the body, which wants a paused ledger.
  { fn: 'unpause', role: 'BUREAU_ROLE', args: () => [], holderReverts: 'ExpectedPause' },
]);

shouldRefuseEveryAccountWithoutTheRole('EnterpriseRegistry', () => ({ chain, contract: registry }), [
  { fn: 'registerEnterprise', role: 'BUREAU_ROLE', args: () => [BETA, REGION, Wallet.createRandom().address] },
  { fn: 'changeEnterpriseAccount', role: 'BUREAU_ROLE', args: () => [ACME, Wallet.createRandom().address] },
  { fn: 'addOutfall', role: 'BUREAU_ROLE', args: () => [ACME, idKey('ent-acme-out-2')] },
  { fn: 'enrollDevice', role: 'BUREAU_ROLE', args: () => [idKey('ent-acme-dev-2'), ACME, OUT1, evidence()] },
  { fn: 'revokeDevice', role: 'BUREAU_ROLE', args: () => [DEV1] },
]);

shouldRefuseEveryAccountWithoutTheRole('Blacklist', () => ({ chain, contract: blacklist }), [
  { fn: 'add', role: 'BUREAU_ROLE', args: () => [ACME, 2, evidence()] },
  { fn: 'remove', role: 'BUREAU_ROLE', args: () => [BETA, 100, evidence()] },
]);

shouldRefuseEveryAccountWithoutTheRole('AlertRegistry', () => ({ chain, contract: alerts }), [
  { fn: 'record', role: 'ORACLE_ROLE', args: () => [evidence(), evidence(), ACME, OUT1, idKey('spike'), 1n, 2n] },
  { fn: 'confirm', role: 'BUREAU_ROLE', args: () => [ALERT, evidence()] },
  { fn: 'dismiss', role: 'BUREAU_ROLE', args: () => [ALERT, evidence()] },
]);
