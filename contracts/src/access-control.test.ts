/**
 * Every mutating function of every contract refuses every account without its role
 * (admin, bureau, oracle, enterprise, arbitrator, stranger), on a real anvil node.
 */
import { Wallet, hexlify, randomBytes } from 'ethers';
import type { Contract } from 'ethers';
import {
  BLACKLIST_ABI,
  BLACKLIST_BYTECODE,
  EMISSION_LEDGER_ABI,
  EMISSION_LEDGER_BYTECODE,
  ENTERPRISE_REGISTRY_ABI,
  ENTERPRISE_REGISTRY_BYTECODE,
  enterpriseKey,
  idKey,
  pollutantKey,
  regionKey,
} from './index.js';
import { deploy, send, startTestChain } from './testing/chain-fixture.js';
import type { TestChain } from './testing/chain-fixture.js';
import { shouldRefuseEveryAccountWithoutTheRole } from './testing/access-control.behavior.js';

const ACME = enterpriseKey('ent-acme');
const BETA = enterpriseKey('ent-beta');
const COD = pollutantKey('w01018');
const REGION = regionKey('cn-330100');
const OUT1 = idKey('ent-acme-out-1');
const DEV1 = idKey('ent-acme-dev-1');
const evidence = (): string => hexlify(randomBytes(32));

let chain: TestChain;
let ledger: Contract;
let registry: Contract;
let blacklist: Contract;

beforeAll(async () => {
  chain = await startTestChain();
  const { bureau, oracle, enterprise } = chain.addresses;
  ledger = await deploy(chain, EMISSION_LEDGER_ABI, EMISSION_LEDGER_BYTECODE, [bureau, oracle]);
  registry = await deploy(chain, ENTERPRISE_REGISTRY_ABI, ENTERPRISE_REGISTRY_BYTECODE, [bureau]);
  blacklist = await deploy(chain, BLACKLIST_ABI, BLACKLIST_BYTECODE, [bureau]);
  // State the holders' calls need: a registered enterprise with an outfall and a device, a listed one.
  const b = chain.signers.bureau;
  await send(chain, registry, b, 'registerEnterprise', ACME, REGION, enterprise);
  await send(chain, registry, b, 'addOutfall', ACME, OUT1);
  await send(chain, registry, b, 'enrollDevice', DEV1, ACME, OUT1, evidence());
  await send(chain, blacklist, b, 'add', BETA, 1, evidence());
});

afterAll(async () => {
  await chain?.close();
});

shouldRefuseEveryAccountWithoutTheRole('EmissionLedger', () => ({ chain, contract: ledger }), [
  { fn: 'allocate', role: 'BUREAU_ROLE', args: () => [ACME, COD, 1n] },
  { fn: 'issuePermit', role: 'BUREAU_ROLE', args: () => [ACME, COD, 2026, 1n] },
  { fn: 'allocateCap', role: 'BUREAU_ROLE', args: () => [REGION, COD, 2026, 10n, [ACME, BETA], [1n, 2n]] },
  { fn: 'settle', role: 'ORACLE_ROLE', args: () => [1n, evidence(), 1, [ACME], [COD], [1n]] },
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
