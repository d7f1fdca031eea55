import { AbiCoder, keccak256 } from 'ethers';
import { buildReadingTree, readingLeafHash, verifyReadingProof } from './merkle.js';
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
});
