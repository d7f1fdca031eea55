import { AbiCoder, keccak256 } from 'ethers';
import { QingliuError, buildReadingTree, readingLeafValue } from '@qingliu/protocol';
import type { Reading } from '@qingliu/protocol';

/**
 * Everything needed to check one stored reading against the chain with nothing but an
 * RPC URL: the reading, its leaf, the Merkle proof, the batch root, and where it was anchored.
 * JSON-safe (the batch id is a decimal string).
 */
export interface ReadingProof {
  reading: Reading;
  /** keccak256(keccak256(abi.encode(string canonicalJson))) of the reading (protocol/README.md). */
  leaf: string;
  /** Sibling hashes from the leaf up (OpenZeppelin MerkleProof order). */
  proof: string[];
  /** The Merkle root of the batch's readings, as anchored. */
  root: string;
  /** The settlement batch id, decimal. */
  batchId: string;
  /** The transaction that anchored the batch; undefined when not known. */
  txHash: string | undefined;
  /** Address of the EmissionLedger contract. */
  contract: string;
}

export interface CreateReadingProofParameters {
  /** Every stored reading of the batch, in any order. */
  readings: readonly Reading[];
  /** The reading to prove; it must be one of `readings`. */
  reading: Reading;
  batchId: bigint;
  txHash: string | undefined;
  contract: string;
}

/** The leaf of a reading with ethers alone: keccak256(keccak256(abi.encode(['string'], [canonicalJson]))). */
export function readingLeaf(reading: Reading): string {
  const [value] = readingLeafValue(reading);
  return keccak256(keccak256(AbiCoder.defaultAbiCoder().encode(['string'], [value])));
}

/**
 * Builds the proof of one reading from the stored readings of its batch. Rebuilds the batch
 * tree as the settler did (protocol's buildReadingTree), so `root` is the anchored root when
 * `readings` is the whole batch. Throws SCHEMA_INVALID when the reading is not in the batch.
 */
export function createReadingProof(params: CreateReadingProofParameters): ReadingProof {
  const { readings, reading, batchId, txHash, contract } = params;
  const tree = buildReadingTree(readings);
  const proof = tree.proof(reading);
  if (!proof) {
    throw new QingliuError('SCHEMA_INVALID', `the reading is not in batch ${batchId}`, {
      details: `${reading.device} seq ${reading.seq} ${reading.pollutant}`,
    });
  }
  return { reading, leaf: readingLeaf(reading), proof, root: tree.root, batchId: String(batchId), txHash, contract };
}
