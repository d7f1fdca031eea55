// Checks a reading proof in the browser, trusting the server for nothing but the data to check:
// the leaf is recomputed from the reading, the proof folded, and the chain asked over JSON-RPC.
import { AbiCoder, concat, keccak256 } from './vendor/ethers.min.js';
import { canonicalReadingJson } from './vendor/canonical.js';

/** keccak256(keccak256(abi.encode(string canonicalJson))): StandardMerkleTree's leaf (protocol/README.md). */
export function readingLeaf(reading) {
  return keccak256(keccak256(AbiCoder.defaultAbiCoder().encode(['string'], [canonicalReadingJson(reading)])));
}

/** Folds a proof with sorted-pair keccak256, as OpenZeppelin's MerkleProof.processProof. */
export function processProof(leaf, proof) {
  return proof.reduce((node, sibling) => {
    const [a, b] = BigInt(node) < BigInt(sibling) ? [node, sibling] : [sibling, node];
    return keccak256(concat([a, b]));
  }, leaf);
}

/**
 * Verifies `proof` (GET /api/v1/proofs/...) against EmissionLedger through `chain`
 * (common.js connectChain). Resolves to { valid, checks: [{ name, ok, detail }] }.
 */
export async function verifyProof(proof, chain) {
  const checks = [];
  const check = (name, ok, detail) => {
    checks.push({ name, ok, detail });
    return ok;
  };
  let leaf;
  try {
    leaf = readingLeaf(proof.reading);
  } catch (error) {
    check('reading', false, error.message);
    return { valid: false, checks };
  }
  check('leaf', leaf === String(proof.leaf).toLowerCase(), `recomputed ${leaf}`);
  const folded = processProof(leaf, proof.proof ?? []);
  check('proof', folded === String(proof.root).toLowerCase(), `folds to ${folded}`);
  const batchId = BigInt(proof.batchId);
  const [root, settled] = await chain.ledger.getFunction('batchRoot')(batchId);
  check('anchored root', settled && root === folded, settled ? `batch ${batchId} anchored ${root}` : `batch ${batchId} is not settled`);
  const onChain = await chain.ledger.getFunction('verifyReading')(batchId, leaf, proof.proof ?? []);
  check('verifyReading', onChain, `EmissionLedger.verifyReading returned ${onChain}`);
  const receipt = proof.txHash ? await chain.provider.getTransactionReceipt(proof.txHash) : null;
  const event = receipt?.logs
    .filter((log) => log.address.toLowerCase() === String(chain.ledger.target).toLowerCase())
    .map((log) => chain.ledger.interface.parseLog(log))
    .find((parsed) => parsed?.name === 'BatchSettled' && parsed.args.batchId === batchId);
  check('transaction', receipt?.status === 1 && event?.args.root === root, receipt ? `block ${receipt.blockNumber}` : 'not found');
  return { valid: checks.every((c) => c.ok), checks };
}
