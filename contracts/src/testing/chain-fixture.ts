/**
 * Shared test fixture: one anvil node per test file (useTestChain registers its hooks), named
 * signers, and helpers to deploy, wait for receipts, decode events and expect custom-error reverts.
 * The project's own contracts, deployed with their usual roles, are in contracts.ts.
 */
import { Contract, ContractFactory, JsonRpcProvider, NonceManager, Wallet, isError } from 'ethers';
import type { ContractTransactionResponse, JsonFragment, Log, LogDescription, TransactionReceipt } from 'ethers';
import { startAnvil } from '@qingliu/testkit';
import type { AnvilServer } from '@qingliu/testkit';

export const SIGNER_NAMES = ['admin', 'bureau', 'oracle', 'enterprise', 'arbitrator', 'stranger'] as const;
export type SignerName = (typeof SIGNER_NAMES)[number];

export interface TestChain {
  anvil: AnvilServer;
  provider: JsonRpcProvider;
  signers: Record<SignerName, NonceManager>;
  addresses: Record<SignerName, string>;
  close(): Promise<void>;
}

export async function startTestChain(): Promise<TestChain> {
  let anvil: AnvilServer;
  try {
    anvil = await startAnvil();
  } catch (error) {
    throw new Error(`anvil could not start, so the contract tests cannot run: ${String(error)}`, { cause: error });
  }
  // No caching, fast polling, no batching: with ethers' defaults, waiting on anvil stalled or crawled (TOOLCHAIN.md).
  const provider = new JsonRpcProvider(anvil.rpcUrl, undefined, {
    staticNetwork: true,
    cacheTimeout: -1,
    pollingInterval: 50,
    batchMaxCount: 1,
  });
  const signers = {} as Record<SignerName, NonceManager>;
  const addresses = {} as Record<SignerName, string>;
  SIGNER_NAMES.forEach((name, i) => {
    const wallet = new Wallet(anvil.accounts[i]!, provider);
    signers[name] = new NonceManager(wallet);
    addresses[name] = wallet.address;
  });
  return {
    anvil,
    provider,
    signers,
    addresses,
    async close() {
      provider.destroy();
      await anvil.stop();
    },
  };
}

/**
 * Registers the file's hooks: one anvil node started before its tests and stopped after them.
 * `ready` runs once the node is up, to keep it in the file's `chain` and set up what the file's
 * tests share; the node is stopped even when `ready` throws.
 */
export function useTestChain(ready: (chain: TestChain) => void | Promise<void>): void {
  let chain: TestChain | undefined;
  beforeAll(async () => {
    chain = await startTestChain();
    await ready(chain);
  });
  afterAll(async () => {
    await chain?.close();
  });
}

/** Polls for the receipt (tx.wait() stalled against anvil); a reverted transaction has status 0. */
export async function mined(
  chain: TestChain,
  tx: ContractTransactionResponse | Promise<ContractTransactionResponse>,
): Promise<TransactionReceipt> {
  const { hash } = await tx;
  for (let i = 0; i < 400; i++) {
    const receipt = await chain.provider.getTransactionReceipt(hash);
    if (receipt) return receipt;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`transaction ${hash} was not mined within 10 s`);
}

/** Deploys a contract as `admin`; returns it connected to the provider (read-only) and the deployment's receipt. */
export async function deployWithReceipt(
  chain: TestChain,
  abi: readonly JsonFragment[],
  bytecode: string,
  args: unknown[],
): Promise<{ contract: Contract; receipt: TransactionReceipt }> {
  const factory = new ContractFactory(abi as JsonFragment[], bytecode, chain.signers.admin);
  const deployment = await factory.deploy(...args);
  const receipt = await mined(chain, deployment.deploymentTransaction()!);
  return { contract: new Contract(receipt.contractAddress!, abi as JsonFragment[], chain.provider), receipt };
}

/** Deploys a contract as `admin` and returns it connected to the provider (read-only). */
export async function deploy(
  chain: TestChain,
  abi: readonly JsonFragment[],
  bytecode: string,
  args: unknown[],
): Promise<Contract> {
  return (await deployWithReceipt(chain, abi, bytecode, args)).contract;
}

/** The events named `name` that `contract` emitted in `receipt`, in order. */
export function eventsOf(contract: Contract, receipt: TransactionReceipt, name: string): LogDescription[] {
  return receipt.logs
    .filter((log: Log) => log.address.toLowerCase() === String(contract.target).toLowerCase())
    .map((log: Log) => contract.interface.parseLog(log))
    .filter((event): event is LogDescription => event !== null && event.name === name);
}

/** Expects the call to revert with the named custom error and returns its arguments. */
export async function revertOf(call: Promise<unknown>, name: string): Promise<unknown[]> {
  try {
    await call;
  } catch (error) {
    if (!isError(error, 'CALL_EXCEPTION')) throw error;
    expect(error.revert?.name).toBe(name);
    return [...(error.revert?.args ?? [])];
  }
  throw new Error(`expected a revert with ${name}, but the call succeeded`);
}

/** `contract` connected to a signer, for sending or static-calling as that account. */
export function as(contract: Contract, signer: NonceManager): Contract {
  return contract.connect(signer) as Contract;
}

/** Sends `fn(...args)` as `signer` and waits for the receipt. */
export async function send(
  chain: TestChain,
  contract: Contract,
  signer: NonceManager,
  fn: string,
  ...args: unknown[]
): Promise<TransactionReceipt> {
  let tx: ContractTransactionResponse;
  try {
    tx = (await as(contract, signer).getFunction(fn)(...args)) as ContractTransactionResponse;
  } catch (error) {
    signer.reset(); // the NonceManager counted a nonce for the transaction that was never sent
    throw error;
  }
  return mined(chain, tx);
}

/** A raw JSON-RPC call to anvil (its test methods: evm_setNextBlockTimestamp, evm_mine, ...). */
export async function anvilRpc(chain: TestChain, method: string, params: unknown[] = []): Promise<unknown> {
  return chain.provider.send(method, params);
}

/** The next block will carry this timestamp (Unix seconds). */
export async function setNextTimestamp(chain: TestChain, seconds: number): Promise<void> {
  await anvilRpc(chain, 'evm_setNextBlockTimestamp', [seconds]);
}

/** The latest block's timestamp (Unix seconds). */
export async function latestTimestamp(chain: TestChain): Promise<number> {
  return (await chain.provider.getBlock('latest'))!.timestamp;
}
