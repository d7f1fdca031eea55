import { FetchRequest, Network, NonceManager, Wallet } from 'ethers';
import type { JsonRpcProvider, TransactionReceipt } from 'ethers';
import { QingliuError } from '@qingliu/protocol';
import { toChainError } from './chain-errors.js';
import { ProfiledJsonRpcProvider, checkChainId, checkGasPriceMode, parseChainProfile } from './chain-profile.js';
import type { ChainProfile } from './chain-profile.js';

export interface RpcOptions {
  /** How long one JSON-RPC request may take, in milliseconds. */
  requestTimeoutMs?: number;
  /** How often to ask for a transaction's receipt, in milliseconds. */
  pollIntervalMs?: number;
  /** How long to wait for a transaction to be mined, in milliseconds. */
  receiptTimeoutMs?: number;
  /**
   * The chain to expect and how to price transactions (chain-profile.ts). With one, a node on
   * another chain is refused with CONFIG_INVALID; without, any chain is taken and ethers picks the pricing.
   */
  profile?: ChainProfile;
}

type Timeouts = Required<Omit<RpcOptions, 'profile'>>;

export const defaultRpcOptions = {
  /** 10 s per JSON-RPC request. */
  requestTimeoutMs: 10_000,
  /** 50 ms between receipt polls: anvil mines at once, a slower chain just costs more polls. */
  pollIntervalMs: 50,
  /** 60 s for a transaction to be mined. */
  receiptTimeoutMs: 60_000,
} satisfies Timeouts;

export interface RpcConnection {
  provider: JsonRpcProvider;
  /** Sends with locally tracked nonces; `reset()` it after a failed send. */
  signer: NonceManager;
  /** The chain id the node reported (and the profile expected, if one was given). */
  chainId: bigint;
  options: Timeouts;
  waitForReceipt(txHash: string): Promise<TransactionReceipt>;
}

/** `eth_chainId`, asked with a plain request so a dead node fails at once (no ethers network detection). */
async function probeChainId(rpcUrl: string, timeoutMs: number): Promise<bigint> {
  try {
    const response = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json()) as { result?: string };
    if (typeof body.result !== 'string') throw new Error(`eth_chainId answered ${JSON.stringify(body)}`);
    return BigInt(body.result);
  } catch (error) {
    throw new QingliuError('CHAIN_UNAVAILABLE', `cannot reach the chain at ${rpcUrl}`, {
      retryable: true,
      details: error instanceof Error ? error.message : String(error),
      cause: error,
    });
  }
}

/**
 * Connects to an EVM node over JSON-RPC and checks that it answers, and, with a chain
 * profile, that it is the expected chain (CONFIG_INVALID otherwise) and can price
 * transactions as the profile says. The provider is set up for nodes that mine at once
 * (anvil): no result caching, a short polling interval, no request batching, and a fixed
 * network so a dead node fails fast instead of being probed forever.
 */
export async function connectRpc(rpcUrl: string, privateKey: string, options: RpcOptions = {}): Promise<RpcConnection> {
  const { profile: input, ...timeouts } = options;
  const resolved: Timeouts = { ...defaultRpcOptions, ...timeouts };
  const profile = input === undefined ? undefined : parseChainProfile(input);
  const chainId = await probeChainId(rpcUrl, resolved.requestTimeoutMs);
  if (profile) checkChainId(profile, chainId, rpcUrl);
  const provider = createProvider(rpcUrl, resolved, Network.from(chainId), profile?.gasPrice ?? 'auto');
  try {
    await checkGasPriceMode(provider, rpcUrl);
  } catch (error) {
    provider.destroy();
    throw toChainError(error, `cannot check the gas pricing of ${rpcUrl}`);
  }
  let wallet: Wallet;
  try {
    wallet = new Wallet(privateKey, provider);
  } catch (error) {
    provider.destroy();
    throw new QingliuError('CONFIG_INVALID', 'the chain private key is not valid', { cause: error });
  }
  const signer = new NonceManager(wallet);
  return {
    provider,
    signer,
    chainId,
    options: resolved,
    waitForReceipt: (txHash) => waitForReceipt(provider, txHash, resolved),
  };
}

function createProvider(
  rpcUrl: string,
  options: Timeouts,
  network: Network,
  gasPrice: ProfiledJsonRpcProvider['gasPriceMode'],
): ProfiledJsonRpcProvider {
  const request = new FetchRequest(rpcUrl);
  request.timeout = options.requestTimeoutMs;
  return new ProfiledJsonRpcProvider(gasPrice, request, network, {
    staticNetwork: network,
    cacheTimeout: -1,
    pollingInterval: options.pollIntervalMs,
    // One request per HTTP call: ethers' batching waits 10 ms per call to gather a batch,
    // which made a settlement against anvil ~4x slower (median ~77 ms instead of ~20 ms).
    batchMaxCount: 1,
  });
}

/**
 * Polls for a receipt instead of `tx.wait()`, which stalled against anvil
 * (TOOLCHAIN.md). Rejects with a retryable CHAIN_UNAVAILABLE after
 * `receiptTimeoutMs`; the transaction may still be mined later.
 */
async function waitForReceipt(
  provider: JsonRpcProvider,
  txHash: string,
  options: Timeouts,
): Promise<TransactionReceipt> {
  const deadline = Date.now() + options.receiptTimeoutMs;
  for (;;) {
    let receipt: TransactionReceipt | null;
    try {
      receipt = await provider.getTransactionReceipt(txHash);
    } catch (error) {
      throw toChainError(error, `lost the chain while waiting for ${txHash}`);
    }
    if (receipt) return receipt;
    if (Date.now() >= deadline) {
      throw new QingliuError('CHAIN_UNAVAILABLE', `transaction not mined after ${options.receiptTimeoutMs} ms`, {
        retryable: true,
        details: txHash,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollIntervalMs));
  }
}
