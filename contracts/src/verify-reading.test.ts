/**
 * verifyReading: a StandardMerkleTree proof of a reading checks against the root anchored
 * for its batch, using OpenZeppelin's MerkleProof on chain. The tree here is built with
 * ethers alone, as protocol/README.md says anyone can (double-hashed ["string"] leaves, sorted pairs).
 */
import { AbiCoder, ZeroHash, concat, keccak256 } from 'ethers';
import type { Contract } from 'ethers';
import { as, mined, useTestChain } from './testing/chain-fixture.js';
import type { TestChain } from './testing/chain-fixture.js';
import { deployLedger } from './testing/contracts.js';

const leafOf = (value: string): string => keccak256(keccak256(AbiCoder.defaultAbiCoder().encode(['string'], [value])));
const pair = (a: string, b: string): string => keccak256(BigInt(a) < BigInt(b) ? concat([a, b]) : concat([b, a]));

const VALUES = [0, 1, 2, 3].map(
  (seq) =>
    `{"device":"ent-a-dev-1","enterprise":"ent-a","flag":"N","outfall":"ent-a-out-1","pollutant":"w01018","seq":${seq},"ts":${1795996800000 + seq * 1000},"unit":"mg/L","value":48.73}`,
);
const [l0, l1, l2, l3] = VALUES.map(leafOf) as [string, string, string, string];
const ROOT = pair(pair(l0, l1), pair(l2, l3));
const PROOF_OF_L2 = [l3, pair(l0, l1)];

let chain: TestChain;
let ledger: Contract;

useTestChain(async (started) => {
  chain = started;
  ledger = await deployLedger(chain);
  await mined(chain, as(ledger, chain.signers.oracle).getFunction('settle')(7n, ROOT, 4, [], [], []));
});

const verify = (batchId: bigint, leaf: string, proof: string[]): Promise<boolean> =>
  ledger.getFunction('verifyReading')(batchId, leaf, proof) as Promise<boolean>;

describe('EmissionLedger.verifyReading', () => {
  test('a reading\'s proof verifies against its anchored batch', async () => {
    expect(await verify(7n, l2, PROOF_OF_L2)).toBe(true);
    expect(await verify(7n, l0, [l1, pair(l2, l3)])).toBe(true);
  });

  test('a tampered reading, a tampered proof, another batch or an unsettled batch does not verify', async () => {
    const tampered = leafOf(VALUES[2]!.replace('48.73', '48.74'));
    expect(await verify(7n, tampered, PROOF_OF_L2)).toBe(false);
    expect(await verify(7n, l2, [l3, pair(l0, l3)])).toBe(false);
    expect(await verify(7n, l2, [l3])).toBe(false);
    expect(await verify(7n, l2, [...PROOF_OF_L2, ZeroHash])).toBe(false);
    expect(await verify(8n, l2, PROOF_OF_L2)).toBe(false);
    // A single-hashed leaf is not the leaf.
    expect(await verify(7n, keccak256(AbiCoder.defaultAbiCoder().encode(['string'], [VALUES[2]!])), PROOF_OF_L2)).toBe(false);
  });

  test('verifyReadingValue hashes the canonical JSON on chain: the reading verifies, a changed digit does not', async () => {
    const byValue = ledger.getFunction('verifyReadingValue');
    expect(await byValue(7n, VALUES[2], PROOF_OF_L2)).toBe(true);
    expect(await byValue(7n, VALUES[2]!.replace('48.73', '48.74'), PROOF_OF_L2)).toBe(false);
    expect(await byValue(7n, VALUES[2]!.replace('"seq":2', '"seq":3'), PROOF_OF_L2)).toBe(false);
  });
});
