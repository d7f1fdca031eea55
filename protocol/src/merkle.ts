import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { canonicalReadingJson } from './canonical.js';
import type { Reading } from './reading.js';

/** The ABI types of a leaf: one string, the reading's canonical JSON. */
export const LEAF_ENCODING = ['string'] as const;

export const EMPTY_ROOT = `0x${'00'.repeat(32)}`;

/** The fields of a reading that its leaf covers, in a fixed set. */
export function readingLeafValue(reading: Reading): [string] {
  return [canonicalReadingJson(reading)];
}

/** keccak256(keccak256(abi.encode(string canonicalJson))), as StandardMerkleTree. */
export function readingLeafHash(reading: Reading): string {
  return StandardMerkleTree.of([readingLeafValue(reading)], [...LEAF_ENCODING]).leafHash(
    readingLeafValue(reading),
  );
}

export interface ReadingTree {
  root: string;
  /** The Merkle proof of one reading, or undefined if it is not in the tree. */
  proof(reading: Reading): string[] | undefined;
}

/** Builds the batch tree (OpenZeppelin StandardMerkleTree, leaves sorted). */
export function buildReadingTree(readings: readonly Reading[]): ReadingTree {
  if (readings.length === 0) return { root: EMPTY_ROOT, proof: () => undefined };
  const tree = StandardMerkleTree.of(readings.map(readingLeafValue), [...LEAF_ENCODING]);
  return {
    root: tree.root,
    proof(reading) {
      const leaf = readingLeafValue(reading);
      for (const [index, value] of tree.entries()) {
        if (value[0] === leaf[0]) return tree.getProof(index);
      }
      return undefined;
    },
  };
}

export function verifyReadingProof(root: string, reading: Reading, proof: string[]): boolean {
  return StandardMerkleTree.verify(root, [...LEAF_ENCODING], readingLeafValue(reading), proof);
}
