import { ContractFactory, isAddress } from 'ethers';
import type { JsonFragment } from 'ethers';
import {
  ALERT_REGISTRY_ABI,
  ALERT_REGISTRY_BYTECODE,
  BLACKLIST_ABI,
  BLACKLIST_BYTECODE,
  EMISSION_LEDGER_ABI,
  EMISSION_LEDGER_BYTECODE,
  ENTERPRISE_REGISTRY_ABI,
  ENTERPRISE_REGISTRY_BYTECODE,
} from '@qingliu/contracts';
import { QingliuError } from '@qingliu/protocol';
import { toChainError } from './chain-errors.js';
import { connectRpc } from './rpc.js';
import type { RpcOptions } from './rpc.js';

export interface DeployParameters extends RpcOptions {
  rpcUrl: string;
  /** Private key of the deployer; it becomes the contract's admin (grants and revokes roles). */
  deployerKey: string;
}

export interface DeployEmissionLedgerParameters extends DeployParameters {
  /** Address granted BUREAU_ROLE (permits, credits, warning horizon, pause). */
  bureau: string;
  /** Address granted ORACLE_ROLE (settles batches). */
  oracle: string;
}

export interface DeployBureauContractParameters extends DeployParameters {
  /** Address granted BUREAU_ROLE (the registry's enrolments; listing and delisting). */
  bureau: string;
}

export interface DeployAlertRegistryParameters extends DeployParameters {
  /** Address granted BUREAU_ROLE (confirms and dismisses alerts). */
  bureau: string;
  /** Address granted ORACLE_ROLE (records alerts): the cloud's settlement key. */
  oracle: string;
}

export interface DeployReturnType {
  address: string;
  txHash: string;
  /** The block of the deployment: pass it as `fromBlock` to createEvmLedger. */
  blockNumber: number;
}

export type DeployEmissionLedgerReturnType = DeployReturnType;

function checkAddresses(addresses: Record<string, string>): void {
  for (const [field, value] of Object.entries(addresses)) {
    if (!isAddress(value)) throw new QingliuError('CONFIG_INVALID', `${field} is not an address`, { details: value });
  }
}

/**
 * Deploys a contract and resolves once the deployment is mined, with the address from the
 * receipt (never predicted: FISCO BCOS before 3.12 derives addresses differently).
 */
async function deployContract(
  name: string,
  abi: readonly JsonFragment[],
  bytecode: string,
  args: string[],
  params: DeployParameters,
): Promise<DeployReturnType> {
  const { rpcUrl, deployerKey, ...rpcOptions } = params;
  const rpc = await connectRpc(rpcUrl, deployerKey, rpcOptions);
  try {
    const factory = new ContractFactory(abi as JsonFragment[], bytecode, rpc.signer);
    let txHash: string;
    try {
      const deployment = await factory.getDeployTransaction(...args);
      txHash = (await rpc.signer.sendTransaction(deployment)).hash;
    } catch (error) {
      throw toChainError(error, `cannot deploy ${name}`);
    }
    const receipt = await rpc.waitForReceipt(txHash);
    if (receipt.status !== 1 || !receipt.contractAddress) {
      throw new QingliuError('CHAIN_REVERTED', `deploying ${name} reverted`, { details: txHash });
    }
    return { address: receipt.contractAddress, txHash, blockNumber: receipt.blockNumber };
  } finally {
    rpc.provider.destroy();
  }
}

/** Deploys EmissionLedger(bureau, oracle) and resolves once the deployment is mined. */
export async function deployEmissionLedger(params: DeployEmissionLedgerParameters): Promise<DeployReturnType> {
  const { bureau, oracle, ...rest } = params;
  checkAddresses({ bureau, oracle });
  return deployContract('EmissionLedger', EMISSION_LEDGER_ABI, EMISSION_LEDGER_BYTECODE, [bureau, oracle], rest);
}

/** Deploys EnterpriseRegistry(bureau) and resolves once the deployment is mined. */
export async function deployEnterpriseRegistry(params: DeployBureauContractParameters): Promise<DeployReturnType> {
  const { bureau, ...rest } = params;
  checkAddresses({ bureau });
  return deployContract('EnterpriseRegistry', ENTERPRISE_REGISTRY_ABI, ENTERPRISE_REGISTRY_BYTECODE, [bureau], rest);
}

/** Deploys Blacklist(bureau) and resolves once the deployment is mined. */
export async function deployBlacklist(params: DeployBureauContractParameters): Promise<DeployReturnType> {
  const { bureau, ...rest } = params;
  checkAddresses({ bureau });
  return deployContract('Blacklist', BLACKLIST_ABI, BLACKLIST_BYTECODE, [bureau], rest);
}

/** Deploys AlertRegistry(bureau, oracle) and resolves once the deployment is mined. */
export async function deployAlertRegistry(params: DeployAlertRegistryParameters): Promise<DeployReturnType> {
  const { bureau, oracle, ...rest } = params;
  checkAddresses({ bureau, oracle });
  return deployContract('AlertRegistry', ALERT_REGISTRY_ABI, ALERT_REGISTRY_BYTECODE, [bureau, oracle], rest);
}
