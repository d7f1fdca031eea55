/**
 * The project's contracts deployed as `admin` with their usual role holders
 * (EmissionLedger and AlertRegistry: bureau and oracle; EnterpriseRegistry and Blacklist: bureau), and the
 * sample keys the tests and the gas report share.
 */
import { hexlify, randomBytes } from 'ethers';
import type { Contract, JsonFragment, TransactionReceipt } from 'ethers';
import {
  ALERT_REGISTRY_ABI,
  ALERT_REGISTRY_BYTECODE,
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
} from '../index.js';
import { deployWithReceipt } from './chain-fixture.js';
import type { SignerName, TestChain } from './chain-fixture.js';

export const ACME = enterpriseKey('ent-acme');
export const BETA = enterpriseKey('ent-beta');
export const COD = pollutantKey('w01018');
export const NH3N = pollutantKey('w21003');
export const REGION = regionKey('cn-330100');
export const OUT1 = idKey('ent-acme-out-1');
export const DEV1 = idKey('ent-acme-dev-1');

/** A fresh random 32-byte value: an evidence hash, a Merkle root, a device key. */
export const bytes32 = (): string => hexlify(randomBytes(32));

export type ContractName = 'EmissionLedger' | 'EnterpriseRegistry' | 'Blacklist' | 'AlertRegistry';

/** Told of each deployment's receipt (the gas report records its gas). */
export type OnDeployed = (name: ContractName, receipt: TransactionReceipt) => void;

/** What each contract's constructor takes: the addresses of these signers, in order. */
const CONTRACTS: Record<ContractName, { abi: readonly JsonFragment[]; bytecode: string; roles: SignerName[] }> = {
  EmissionLedger: { abi: EMISSION_LEDGER_ABI, bytecode: EMISSION_LEDGER_BYTECODE, roles: ['bureau', 'oracle'] },
  EnterpriseRegistry: { abi: ENTERPRISE_REGISTRY_ABI, bytecode: ENTERPRISE_REGISTRY_BYTECODE, roles: ['bureau'] },
  Blacklist: { abi: BLACKLIST_ABI, bytecode: BLACKLIST_BYTECODE, roles: ['bureau'] },
  AlertRegistry: { abi: ALERT_REGISTRY_ABI, bytecode: ALERT_REGISTRY_BYTECODE, roles: ['bureau', 'oracle'] },
};

async function deployNamed(chain: TestChain, name: ContractName, onDeployed?: OnDeployed): Promise<Contract> {
  const { abi, bytecode, roles } = CONTRACTS[name];
  const args = roles.map((role) => chain.addresses[role]);
  const { contract, receipt } = await deployWithReceipt(chain, abi, bytecode, args);
  onDeployed?.(name, receipt);
  return contract;
}

/** A fresh EmissionLedger(bureau, oracle). */
export function deployLedger(chain: TestChain, onDeployed?: OnDeployed): Promise<Contract> {
  return deployNamed(chain, 'EmissionLedger', onDeployed);
}

/** A fresh EnterpriseRegistry(bureau). */
export function deployRegistry(chain: TestChain, onDeployed?: OnDeployed): Promise<Contract> {
  return deployNamed(chain, 'EnterpriseRegistry', onDeployed);
}

/** A fresh Blacklist(bureau). */
export function deployBlacklist(chain: TestChain, onDeployed?: OnDeployed): Promise<Contract> {
  return deployNamed(chain, 'Blacklist', onDeployed);
}

/** A fresh AlertRegistry(bureau, oracle). */
export function deployAlertRegistry(chain: TestChain, onDeployed?: OnDeployed): Promise<Contract> {
  return deployNamed(chain, 'AlertRegistry', onDeployed);
}

/** All four, one after the other: the ledger, the registry, the blacklist, the alert registry. */
export async function deployAll(
  chain: TestChain,
  onDeployed?: OnDeployed,
): Promise<{ ledger: Contract; registry: Contract; blacklist: Contract; alerts: Contract }> {
  const ledger = await deployLedger(chain, onDeployed);
  const registry = await deployRegistry(chain, onDeployed);
  const blacklist = await deployBlacklist(chain, onDeployed);
  const alerts = await deployAlertRegistry(chain, onDeployed);
  return { ledger, registry, blacklist, alerts };
}
