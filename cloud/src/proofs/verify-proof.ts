import { Contract, FetchRequest, JsonRpcProvider, Network, concat, getAddress, isAddress, keccak256 } from 'ethers';
import { QingliuError, readingSchema } from '@qingliu/protocol';
import type { ReadingProof } from './reading-proof.js';
import { readingLeaf } from './reading-proof.js';
import { toChainError } from '../chain/chain-errors.js';

/** Just what a verifier needs from EmissionLedger, so the check needs no artifact. */
const VERIFIER_ABI = [
  'function batchRoot(uint64 batchId) view returns (bytes32 root, bool settled)',
  'function verifyReading(uint64 batchId, bytes32 leaf, bytes32[] proof) view returns (bool)',
  'event BatchSettled(uint64 indexed batchId, bytes32 root, uint32 readingCount)',
];

export interface ProofCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface VerifyProofReturnType {
  /** True when every check passed. */
  valid: boolean;
  checks: ProofCheck[];
}

export interface VerifyProofParameters {
  rpcUrl: string;
  /**
   * Address of the EmissionLedger the verifier trusts: what the bureau published
   * (protocol/README.md, "Which ledger"), never the proof's own `contract`. A proof
   * naming another ledger is refused before the chain is asked anything about it.
   */
  contract: string;
  /** The chain the trusted ledger lives on; when given, a node on another chain is refused. */
  chainId?: bigint | undefined;
  /** How long one JSON-RPC request may take, in milliseconds. Default 10 s. */
  requestTimeoutMs?: number;
}

/** Folds a proof with sorted-pair keccak256, as OpenZeppelin's MerkleProof.processProof. */
export function processProof(leaf: string, proof: readonly string[]): string {
  return proof.reduce((node, sibling) => {
    const [a, b] = BigInt(node) < BigInt(sibling) ? [node, sibling] : [sibling, node];
    return keccak256(concat([a, b]));
  }, leaf);
}

/**
 * Checks a reading proof against the ledger the verifier trusts, trusting nothing in the
 * file but the reading: the proof must name the trusted ledger (`params.contract`) and the
 * node be on `params.chainId` when given; the leaf is recomputed from the reading, the proof
 * folded to the root, the root read from the trusted contract, the proof checked on chain by
 * `verifyReading` (OpenZeppelin MerkleProof), and the anchoring transaction's receipt
 * inspected for the trusted contract's BatchSettled event.
 * Throws CONFIG_INVALID when `params.contract` is not an address; rejects with
 * CHAIN_UNAVAILABLE only when the node cannot be reached.
 */
export async function verifyReadingProof(proof: ReadingProof, params: VerifyProofParameters): Promise<VerifyProofReturnType> {
  if (!isAddress(params.contract)) {
    throw new QingliuError('CONFIG_INVALID', 'the trusted ledger is not an address', { details: String(params.contract) });
  }
  const address = getAddress(params.contract);
  const checks: ProofCheck[] = [];
  const check = (name: string, ok: boolean, detail: string): boolean => {
    checks.push({ name, ok, detail });
    return ok;
  };
  const done = (): VerifyProofReturnType => ({ valid: checks.every((c) => c.ok), checks });

  // The proof says where it was anchored; only the verifier's own ledger counts.
  const named = isAddress(proof.contract) ? getAddress(proof.contract) : String(proof.contract);
  if (!check('ledger', named === address, named === address ? address : `the proof names ledger ${named}, not ${address}, the ledger you trust`)) {
    return done();
  }
  const parsed = readingSchema.safeParse(proof.reading);
  if (!parsed.success) {
    check('reading', false, parsed.error.message);
    return done();
  }
  check('reading', true, 'a well-formed reading');
  const leaf = readingLeaf(parsed.data);
  check('leaf', leaf === proof.leaf?.toLowerCase(), `recomputed ${leaf}`);
  const folded = processProof(leaf, proof.proof ?? []);
  check('proof', folded === proof.root?.toLowerCase(), `folds to ${folded}`);
  if (!check('batch', /^\d+$/.test(proof.batchId ?? ''), `batch ${proof.batchId}`)) return done();
  const batchId = BigInt(proof.batchId);

  const request = new FetchRequest(params.rpcUrl);
  request.timeout = params.requestTimeoutMs ?? 10_000;
  // The chain id is asked once with a plain request, so a dead node fails fast instead of
  // being probed every second by ethers' network detection.
  let chainId: bigint;
  try {
    const response = await fetch(params.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(request.timeout),
    });
    chainId = BigInt(((await response.json()) as { result: string }).result);
  } catch (error) {
    throw new QingliuError('CHAIN_UNAVAILABLE', `cannot reach the chain at ${params.rpcUrl}`, {
      retryable: true,
      cause: error,
    });
  }
  if (params.chainId !== undefined) {
    const same = chainId === params.chainId;
    if (!check('chain', same, same ? `${chainId}` : `the node at ${params.rpcUrl} is on chain ${chainId}, not ${params.chainId}`)) return done();
  } else {
    check('chain', true, `${chainId}, as the node says (not pinned: pass --chain-id or --manifest)`);
  }
  const provider = new JsonRpcProvider(request, Network.from(chainId), {
    staticNetwork: Network.from(chainId),
    batchMaxCount: 1,
    cacheTimeout: -1,
  });
  try {
    if (!check('contract', (await provider.getCode(address)) !== '0x', `code at ${address}`)) return done();
    const contract = new Contract(address, VERIFIER_ABI, provider);
    const [root, settled] = (await contract.getFunction('batchRoot')(batchId)) as [string, boolean];
    check(
      'anchored root',
      settled && root === proof.root?.toLowerCase(),
      settled ? `batch ${batchId} anchored ${root}` : `batch ${batchId} is not settled`,
    );
    const onChain = (await contract.getFunction('verifyReading')(batchId, leaf, proof.proof)) as boolean;
    check('verifyReading', onChain, `EmissionLedger.verifyReading returned ${onChain}`);

    if (proof.txHash) {
      const receipt = await provider.getTransactionReceipt(proof.txHash);
      const event = receipt?.logs
        .filter((log) => log.address === address)
        .map((log) => contract.interface.parseLog(log))
        .find((e) => e?.name === 'BatchSettled' && e.args.getValue('batchId') === batchId);
      check(
        'transaction',
        receipt?.status === 1 && event?.args.getValue('root') === root,
        receipt
          ? `status ${receipt.status}, block ${receipt.blockNumber}, BatchSettled ` +
              (event ? `found (${String(event.args.getValue('readingCount'))} readings)` : 'missing')
          : 'not found',
      );
    } else {
      check('transaction', false, 'the proof names no transaction');
    }
  } catch (error) {
    throw toChainError(error, `cannot verify against ${params.rpcUrl}`);
  } finally {
    provider.destroy();
  }
  return done();
}
