import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { AbiCoder, keccak256 } from 'ethers';
import { EMPTY_ROOT, buildReadingTree, readingLeafHash, readingLeafValue, verifyReadingProof } from './merkle.js';
import type { Reading } from './reading.js';

const reading = (device: string, seq: number, value: number): Reading => ({
  enterprise: 'ent-a',
  outfall: 'out-1',
  device,
  pollutant: 'w21003',
  value,
  unit: 'mg/L',
  ts: 1_790_000_000_000 + seq * 1000,
  seq,
  flag: 'N',
});

const readings = Array.from({ length: 7 }, (_, i) => reading(i % 2 ? 'dev-1' : 'dev-2', i, 1.5 + i / 10));

describe('reading Merkle tree', () => {
  it('computes a leaf as protocol/README.md says, with nothing but ethers', () => {
    const r = readings[3]!;
    const json =
      `{"device":"${r.device}","enterprise":"ent-a","flag":"N","outfall":"out-1",` +
      `"pollutant":"w21003","seq":3,"ts":${r.ts},"unit":"mg/L","value":${r.value}}`;
    const expected = keccak256(keccak256(AbiCoder.defaultAbiCoder().encode(['string'], [json])));
    expect(readingLeafHash(r)).toBe(expected);
  });

  it('has the same root whatever order the readings come in', () => {
    const shuffled = [...readings].reverse();
    expect(buildReadingTree(shuffled).root).toBe(buildReadingTree(readings).root);
  });

  it('proves a reading that is in the batch and refuses one that was changed', () => {
    const tree = buildReadingTree(readings);
    const proof = tree.proof(readings[5]!);
    expect(proof).toBeDefined();
    expect(verifyReadingProof(tree.root, readings[5]!, proof!)).toBe(true);
    expect(verifyReadingProof(tree.root, { ...readings[5]!, value: 9.9 }, proof!)).toBe(false);
    expect(tree.proof({ ...readings[5]!, seq: 99 })).toBeUndefined();
  });

  it('changes the root when one value changes', () => {
    const changed = readings.map((r, i) => (i === 2 ? { ...r, value: r.value + 0.001 } : r));
    expect(buildReadingTree(changed).root).not.toBe(buildReadingTree(readings).root);
  });

  it('has the zero root and no proofs when the batch is empty', () => {
    const tree = buildReadingTree([]);
    expect(tree.root).toBe(EMPTY_ROOT);
    expect(tree.proof(readings[0]!)).toBeUndefined();
  });
});

/** Deterministic pseudo-random numbers (mulberry32), so a failing batch can be reproduced from its seed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random batch of `n` readings, with some readings repeated when `duplicates`. */
function randomBatch(n: number, seed: number, duplicates: boolean): Reading[] {
  const next = random(seed);
  const batch: Reading[] = [];
  for (let i = 0; i < n; i++) {
    if (duplicates && i > 0 && next() < 0.3) {
      batch.push({ ...batch[Math.floor(next() * batch.length)]! });
      continue;
    }
    batch.push({
      ...reading(`dev-${Math.floor(next() * 5)}`, Math.floor(next() * 1e6), Math.round(next() * 1e5) / 100),
      // Non-ASCII and long units exercise the UTF-8 length and the 32-byte padding.
      unit: next() < 0.2 ? 'mg/L·µ' + 'x'.repeat(Math.floor(next() * 80)) : 'mg/L',
    });
  }
  return batch;
}

describe('buildReadingTree is StandardMerkleTree, byte for byte', () => {
  const sizes = [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33, 100, 257];
  for (const duplicates of [false, true]) {
    it(`gives the same root and proofs on random batches of ${sizes.join(', ')} readings${duplicates ? ', with repeated readings' : ''}`, () => {
      for (const n of sizes) {
        const batch = randomBatch(n, n * 31 + (duplicates ? 1 : 0), duplicates);
        const reference = StandardMerkleTree.of(batch.map(readingLeafValue), ['string']);
        const tree = buildReadingTree(batch);
        expect([n, tree.root]).toEqual([n, reference.root]);
        batch.forEach((r, i) => {
          // The reference proves a repeated reading at its first occurrence, as the old code did.
          const first = batch.findIndex((other) => readingLeafValue(other)[0] === readingLeafValue(r)[0]);
          expect([n, i, tree.proof(r)]).toEqual([n, i, reference.getProof(first)]);
          expect(verifyReadingProof(tree.root, r, tree.proof(r)!)).toBe(true);
        });
        expect(readingLeafHash(batch[0]!)).toBe(reference.leafHash(readingLeafValue(batch[0]!)));
      }
    });
  }

  it('refuses malformed roots and proof nodes instead of throwing', () => {
    const tree = buildReadingTree(readings);
    const proof = tree.proof(readings[1]!)!;
    expect(verifyReadingProof('0x1234', readings[1]!, proof)).toBe(false);
    expect(verifyReadingProof(tree.root, readings[1]!, [...proof.slice(1), 'zz'])).toBe(false);
    expect(verifyReadingProof(tree.root.toUpperCase().replace('0X', '0x'), readings[1]!, proof)).toBe(true);
  });
});
