/**
 * A reading's optional `channel` (a device's second instance of a code): left out, every byte
 * that is signed or hashed is what it was before the field existed (golden values computed
 * before it was added, with the RFC 8032 test key 1); present, it is one more canonical member.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { AbiCoder, keccak256 } from 'ethers';
import { canonicalJson, canonicalReadingJson } from './canonical.js';
import { buildReadingTree, readingLeafHash, verifyReadingProof } from './merkle.js';
import { BATCH_VERSION, readingSchema, signedBatchSchema } from './reading.js';
import type { Reading, UnsignedBatch } from './reading.js';
import { batchSigningBytes, publicKeyToHex, signBatch, verifyBatchSignature } from './signing.js';

/** RFC 8032 section 7.1, test 1: a fixed Ed25519 key, so signatures are golden too. */
const SEED = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const KEY = createPrivateKey({ key: Buffer.from(`302e020100300506032b657004220420${SEED}`, 'hex'), format: 'der', type: 'pkcs8' });

const reading = (seq: number, pollutant: Reading['pollutant'], value: number, unit: string): Reading => ({
  enterprise: 'ent-a', outfall: 'ent-a-out-1', device: 'ent-a-dev-1', pollutant, value, unit, ts: 1795996800000 + seq * 1000, seq, flag: 'N',
});
const READINGS = [reading(1042, 'w01018', 48.73, 'mg/L'), reading(1043, 'w00000', 123.456, 'm3/h'), reading(1044, 'w21003', 3.5, 'mg/L')];
const BATCH: UnsignedBatch = { v: BATCH_VERSION, enterprise: 'ent-a', device: 'ent-a-dev-1', readings: READINGS };

describe('a reading without a channel signs and hashes exactly as before', () => {
  it('has the same canonical JSON', () => {
    expect(canonicalReadingJson(READINGS[0]!)).toBe(
      '{"device":"ent-a-dev-1","enterprise":"ent-a","flag":"N","outfall":"ent-a-out-1","pollutant":"w01018","seq":1042,"ts":1795997842000,"unit":"mg/L","value":48.73}',
    );
    // An explicit undefined is left out as canonicalJson leaves it out.
    expect(canonicalReadingJson({ ...READINGS[0]!, channel: undefined })).toBe(canonicalReadingJson(READINGS[0]!));
  });

  it('has the same Merkle leaf and root', () => {
    expect(readingLeafHash(READINGS[0]!)).toBe('0x3aa6eb4709fd33c68308cc0110a985accadb726349c0eb05210a6e0a913bba7d');
    expect(buildReadingTree(READINGS).root).toBe('0xf81f2b08507792208b8ca6098e965eddeae3af84f5e77fc2a936ed8066e09810');
  });

  it('has the same signature', () => {
    expect(publicKeyToHex(createPublicKey(KEY))).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    expect(signBatch(BATCH, KEY).sig).toBe('Pd85mXV8kxAmDtzYfqX/Er+jUU7OTBnBW//M8f7yXrSIa1rAAXGXgK56UeDRLIBbXH+bG77AA10RgDcppDBMBA==');
  });
});

describe('a reading with a channel', () => {
  const second: Reading = { ...reading(1045, 'w01018', 51.2, 'mg/L'), channel: 'cod-2' };

  it('puts the channel first in its canonical JSON (keys sorted), as canonicalJson does', () => {
    const json = canonicalReadingJson(second);
    expect(json).toBe(
      '{"channel":"cod-2","device":"ent-a-dev-1","enterprise":"ent-a","flag":"N","outfall":"ent-a-out-1","pollutant":"w01018","seq":1045,"ts":1795997845000,"unit":"mg/L","value":51.2}',
    );
    expect(json).toBe(canonicalJson(second));
  });

  it('is covered by the leaf (recomputable with ethers alone) and by the signature', () => {
    const expected = keccak256(keccak256(AbiCoder.defaultAbiCoder().encode(['string'], [canonicalReadingJson(second)])));
    expect(readingLeafHash(second)).toBe(expected);
    const { channel: _channel, ...primary } = second;
    expect(readingLeafHash(primary)).not.toBe(expected);

    const tree = buildReadingTree([...READINGS, second]);
    expect(verifyReadingProof(tree.root, second, tree.proof(second)!)).toBe(true);
    expect(verifyReadingProof(tree.root, { ...second, channel: 'cod-3' }, tree.proof(second)!)).toBe(false);

    const signed = signBatch({ ...BATCH, readings: [...READINGS, second] }, KEY);
    const publicKey = createPublicKey(KEY);
    expect(verifyBatchSignature(signed, publicKey)).toBe(true);
    // Dropping the channel (passing the second analyzer off as the primary one) breaks the signature.
    expect(verifyBatchSignature({ ...signed, readings: [...READINGS, primary] }, publicKey)).toBe(false);
    expect(batchSigningBytes(signed).toString()).toContain('{"channel":"cod-2","device"');
  });

  it('passes the schema with a plain id, and a malformed one does not', () => {
    expect(readingSchema.parse(second)).toEqual(second);
    expect(readingSchema.safeParse({ ...second, channel: 'cod 2' }).success).toBe(false);
    expect(readingSchema.safeParse({ ...second, channel: '' }).success).toBe(false);
    expect(signedBatchSchema.safeParse(signBatch({ ...BATCH, readings: [second] }, KEY)).success).toBe(true);
  });
});
