import { Contract, ContractFactory, isAddress } from 'ethers';
import type { Interface } from 'ethers';
import { EMISSION_LEDGER_ABI, EMISSION_LEDGER_BYTECODE, enterpriseKey, pollutantKey } from '@qingliu/contracts';
import { QingliuError } from '@qingliu/protocol';
import type { PollutantCode } from '@qingliu/protocol';
import { toChainError } from './chain-errors.js';
import { connectRpc } from './rpc.js';
import type { RpcConnection, RpcOptions } from './rpc.js';

export interface DeployEmissionLedgerParameters extends RpcOptions {
  rpcUrl: string;
  /** Private key of the deployer; it becomes the contract's admin. */
  deployerKey: string;
  /** Address granted BUREAU_ROLE (allocates credits, pauses settlement). */
  bureau: string;
  /** Address granted ORACLE_ROLE (settles batches). */
  oracle: string;
}

export interface DeployEmissionLedgerReturnType {
  address: string;
  txHash: string;
}

/** Deploys EmissionLedger and resolves once the deployment is mined. */
export async function deployEmissionLedger(
  params: DeployEmissionLedgerParameters,
): Promise<DeployEmissionLedgerReturnType> {
  const { rpcUrl, deployerKey, bureau, oracle, ...rpcOptions } = params;
  for (const [field, value] of [['bureau', bureau], ['oracle', oracle]] as const) {
    if (!isAddress(value)) throw new QingliuError('CONFIG_INVALID', `${field} is not an address`, { details: value });
  }
  const rpc = await connectRpc(rpcUrl, deployerKey, rpcOptions);
  try {
    const factory = new ContractFactory(EMISSION_LEDGER_ABI, EMISSION_LEDGER_BYTECODE, rpc.signer);
    let txHash: string;
    try {
      const deployment = await factory.getDeployTransaction(bureau, oracle);
      txHash = (await rpc.signer.sendTransaction(deployment)).hash;
    } catch (error) {
      throw toChainError(error, 'cannot deploy EmissionLedger');
    }
    const receipt = await rpc.waitForReceipt(txHash);
    if (receipt.status !== 1 || !receipt.contractAddress) {
      throw new QingliuError('CHAIN_REVERTED', 'deploying EmissionLedger reverted', { details: txHash });
    }
    return { address: receipt.contractAddress, txHash };
  } finally {
    rpc.provider.destroy();
  }
}

export interface CreateBureauClientParameters extends RpcOptions {
  rpcUrl: string;
  /** Private key of an account holding BUREAU_ROLE. */
  privateKey: string;
  /** Address of the deployed EmissionLedger. */
  address: string;
}

export interface BureauTransaction {
  txHash: string;
}

/** What the environmental bureau does on the ledger. */
export interface BureauClient {
  /** Adds `milligrams` to the allocation and the balance of `enterprise` for `pollutant`. */
  allocate(enterprise: string, pollutant: PollutantCode, milligrams: bigint): Promise<BureauTransaction>;
  /** Stops settlement until `unpause()`. */
  pause(): Promise<BureauTransaction>;
  unpause(): Promise<BureauTransaction>;
  /** Total milligrams ever allocated to `enterprise` for `pollutant`. */
  allocationOf(enterprise: string, pollutant: PollutantCode): Promise<bigint>;
  close(): Promise<void>;
}

/** A client for the bureau's account; each call resolves once its transaction is mined. */
export async function createBureauClient(params: CreateBureauClientParameters): Promise<BureauClient> {
  const { rpcUrl, privateKey, address, ...rpcOptions } = params;
  const rpc = await connectRpc(rpcUrl, privateKey, rpcOptions);
  const contract = new Contract(address, EMISSION_LEDGER_ABI, rpc.signer);
  const send = (what: string, method: string, args: unknown[]): Promise<BureauTransaction> =>
    sendAndWait(rpc, what, contract.interface, () => contract.getFunction(method)(...args) as Promise<{ hash: string }>);
  return {
    allocate(enterprise, pollutant, milligrams) {
      if (milligrams < 0n) {
        return Promise.reject(new QingliuError('SCHEMA_INVALID', `cannot allocate negative milligrams (${milligrams})`));
      }
      return send(`allocate ${milligrams} g of ${pollutant} to ${enterprise}`, 'allocate', [
        enterpriseKey(enterprise),
        pollutantKey(pollutant),
        milligrams,
      ]);
    },
    pause: () => send('pause settlement', 'pause', []),
    unpause: () => send('unpause settlement', 'unpause', []),
    async allocationOf(enterprise, pollutant) {
      try {
        return (await contract.getFunction('allocationOf').staticCall(
          enterpriseKey(enterprise),
          pollutantKey(pollutant),
        )) as bigint;
      } catch (error) {
        throw toChainError(error, `cannot read the allocation of ${enterprise} for ${pollutant}`);
      }
    },
    async close() {
      rpc.provider.destroy();
    },
  };
}

async function sendAndWait(
  rpc: RpcConnection,
  what: string,
  abi: Interface,
  submit: () => Promise<{ hash: string }>,
): Promise<BureauTransaction> {
  let txHash: string;
  try {
    txHash = (await submit()).hash;
  } catch (error) {
    rpc.signer.reset();
    throw toChainError(error, `cannot ${what}`, abi);
  }
  const receipt = await rpc.waitForReceipt(txHash).catch((error: unknown) => {
    rpc.signer.reset();
    throw error;
  });
  if (receipt.status !== 1) throw new QingliuError('CHAIN_REVERTED', `${what} reverted on chain`, { details: txHash });
  return { txHash };
}
