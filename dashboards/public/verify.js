// Checks a reading proof in the browser, trusting the server for nothing but the data to check: the proof must be
// of the row's reading and name the ledger the page checks against (trust.js: pinned by the user, or the server's
// word, as the page says); the leaf is recomputed from the reading, the proof folded, and the chain asked over JSON-RPC.
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

const show = (value) => (value === undefined ? '(none)' : JSON.stringify(value));

/**
 * How the proof's reading differs from the row's (GET /api/v1/readings: the reading and its `batch`), field by
 * field: ["seq: 本行 row 563, 证明 proof 231", ...]; empty when the proof is of the row's reading.
 */
export function readingDifferences(row, proof) {
  const reading = proof.reading ?? {};
  const fields = new Set([...Object.keys(row), ...Object.keys(reading)]);
  fields.delete('batch');
  const differences = [...fields]
    .filter((field) => !Object.is(row[field], reading[field]))
    .map((field) => `${field}: 本行 row ${show(row[field])}, 证明 proof ${show(reading[field])}`);
  if (String(row.batch) !== String(proof.batchId)) differences.push(`batch: 本行 row ${row.batch}, 证明 proof ${show(proof.batchId)}`);
  return differences;
}

/** Why a proof was refused, in plain words, from its first failed check. */
export function refusalReason(checks) {
  const failed = checks.find((c) => !c.ok);
  if (!failed) return '';
  if (failed.name === 'ledger') return `证明指向另一账本 the proof is for another ledger: ${failed.detail}`;
  if (failed.name === 'reading') return `证明不是本行的读数 the proof is of another reading: ${failed.detail}`;
  return `与链上记录不符 not the reading anchored on chain: ${failed.name} (${failed.detail})`;
}

/**
 * Verifies `proof` (GET /api/v1/proofs/...) for the table row `row` against EmissionLedger through `chain`
 * (common.js connectChain): a proof naming another ledger than `chain.trust.contract` is refused without asking
 * the chain, and one of another reading than the row's fails the `reading` check.
 * Resolves to { valid, checks: [{ name, ok, detail }] }.
 */
export async function verifyProof(proof, chain, row) {
  const checks = [];
  const check = (name, ok, detail) => {
    checks.push({ name, ok, detail });
    return ok;
  };
  const trusted = chain.trust.contract;
  const named = String(proof.contract ?? '');
  const sameLedger = named.toLowerCase() === trusted.toLowerCase();
  if (!check('ledger', sameLedger, sameLedger ? trusted : `${named}, not ${trusted} that this page checks against`)) return { valid: false, checks };
  const differences = readingDifferences(row, proof);
  check('reading', differences.length === 0, differences.length === 0 ? "the row's reading" : differences.join('; '));
  let leaf;
  try {
    leaf = readingLeaf(proof.reading);
  } catch (error) {
    check('leaf', false, `no leaf for this reading: ${error.message}`);
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
