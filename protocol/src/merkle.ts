import { canonicalReadingJson } from './canonical.js';
import jsSha3 from 'js-sha3';
import type { Reading } from './reading.js';

/** The ABI types of a leaf: one string, the reading's canonical JSON. */
export const LEAF_ENCODING = ['string'] as const;

export const EMPTY_ROOT = `0x${'00'.repeat(32)}`;

/** The fields of a reading that its leaf covers, in a fixed set. */
export function readingLeafValue(reading: Reading): [string] {
  return [canonicalReadingJson(reading)];
}

/** keccak-256 (js-sha3: several times faster here than the hash inside ethers). */
const keccak256Bytes = (data: Uint8Array): Uint8Array => new Uint8Array(jsSha3.keccak256.arrayBuffer(data));

const utf8 = new TextEncoder();
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function toHex(bytes: Uint8Array, offset = 0, length = bytes.length - offset): string {
  let out = '0x';
  for (let i = offset; i < offset + length; i++) out += HEX[bytes[i]!]!;
  return out;
}

/** abi.encode(string): the offset 0x20, the byte length, the UTF-8 bytes zero-padded to 32. */
function abiEncodeString(value: string): Uint8Array {
  const data = utf8.encode(value);
  const out = new Uint8Array(64 + Math.ceil(data.length / 32) * 32);
  out[31] = 0x20;
  for (let n = data.length, i = 63; n > 0; n = Math.floor(n / 256), i--) out[i] = n % 256;
  out.set(data, 64);
  return out;
}

/** keccak256(keccak256(abi.encode(string value))): StandardMerkleTree's leaf of ['string']. */
function leafOfValue(value: string): Uint8Array {
  return keccak256Bytes(keccak256Bytes(abiEncodeString(value)));
}

/** keccak256(abi.encode(string canonicalJson)) hashed again, as StandardMerkleTree. */
export function readingLeafHash(reading: Reading): string {
  return toHex(leafOfValue(canonicalReadingJson(reading)));
}

/** Orders two 32-byte nodes as bytes (unsigned, big-endian): negative when a < b. */
function compareNodes(a: Uint8Array, aAt: number, b: Uint8Array, bAt: number): number {
  for (let i = 0; i < 32; i++) {
    const d = a[aAt + i]! - b[bAt + i]!;
    if (d !== 0) return d;
  }
  return 0;
}

const pair = new Uint8Array(64);

/** keccak256 of the two nodes concatenated in ascending order (OpenZeppelin's sorted pairs). */
function hashPair(a: Uint8Array, aAt: number, b: Uint8Array, bAt: number): Uint8Array {
  const [lo, loAt, hi, hiAt] = compareNodes(a, aAt, b, bAt) <= 0 ? [a, aAt, b, bAt] : [b, bAt, a, aAt];
  pair.set(lo.subarray(loAt, loAt + 32), 0);
  pair.set(hi.subarray(hiAt, hiAt + 32), 32);
  return keccak256Bytes(pair);
}

export interface ReadingTree {
  root: string;
  /** The Merkle proof of one reading, or undefined if it is not in the tree. */
  proof(reading: Reading): string[] | undefined;
}

/**
 * Builds the batch tree exactly as OpenZeppelin's `StandardMerkleTree.of(values, ['string'])`
 * (same root, same proofs; checked against it in merkle.test.ts), without its per-leaf
 * validation and ABI encoder: leaf hashes are sorted ascending; in an array of 2n - 1 nodes,
 * sorted leaf k sits at index 2n - 2 - k and node i is the sorted-pair hash of nodes 2i + 1
 * and 2i + 2; the root is node 0. A reading listed twice is proved at its first position.
 */
export function buildReadingTree(readings: readonly Reading[]): ReadingTree {
  const n = readings.length;
  if (n === 0) return { root: EMPTY_ROOT, proof: () => undefined };
  const leaves = readings.map((reading) => leafOfValue(canonicalReadingJson(reading)));
  const hexes = leaves.map((leaf) => toHex(leaf));
  // Ascending by hash; equal hashes keep their order (a stable sort), as StandardMerkleTree.
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => (hexes[i]! < hexes[j]! ? -1 : hexes[i]! > hexes[j]! ? 1 : 0));

  const size = 2 * n - 1;
  const tree = new Uint8Array(size * 32);
  const treeIndexOf = new Map<string, number>();
  order.forEach((valueIndex, k) => {
    const at = size - 1 - k;
    tree.set(leaves[valueIndex]!, at * 32);
    if (!treeIndexOf.has(hexes[valueIndex]!)) treeIndexOf.set(hexes[valueIndex]!, at);
  });
  for (let i = size - 1 - n; i >= 0; i--) {
    tree.set(hashPair(tree, (2 * i + 1) * 32, tree, (2 * i + 2) * 32), i * 32);
  }

  return {
    root: toHex(tree, 0, 32),
    proof(reading) {
      let index = treeIndexOf.get(readingLeafHash(reading));
      if (index === undefined) return undefined;
      const proof: string[] = [];
      while (index > 0) {
        const sibling = index % 2 === 1 ? index + 1 : index - 1;
        proof.push(toHex(tree, sibling * 32, 32));
        index = (index - 1) >> 1;
      }
      return proof;
    },
  };
}

const NODE = /^0x[0-9a-fA-F]{64}$/;

function nodeBytes(hex: string): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(hex.slice(2 + 2 * i, 4 + 2 * i), 16);
  return out;
}

/** Folds `proof` from the reading's leaf with sorted pairs (OpenZeppelin MerkleProof) and compares with `root`. */
export function verifyReadingProof(root: string, reading: Reading, proof: string[]): boolean {
  if (!NODE.test(root) || !proof.every((node) => NODE.test(node))) return false;
  let node = leafOfValue(canonicalReadingJson(reading));
  for (const sibling of proof) node = hashPair(node, 0, nodeBytes(sibling), 0);
  return toHex(node) === root.toLowerCase();
}
