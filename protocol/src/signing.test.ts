import { createPrivateKey } from 'node:crypto';
import { BATCH_VERSION, signedBatchSchema } from './reading.js';
import type { Reading, UnsignedBatch } from './reading.js';
import {
  batchSigningBytes,
  generateDeviceKeyPair,
  publicKeyFromHex,
  publicKeyHexFromPrivatePem,
  signBatch,
  verifyBatchSignature,
} from './signing.js';

const reading = (seq: number, value: number): Reading => ({
  enterprise: 'ent-a',
  outfall: 'out-1',
  device: 'dev-1',
  pollutant: 'w01018',
  value,
  unit: 'mg/L',
  ts: 1_790_000_000_000 + seq * 1000,
  seq,
  flag: 'N',
});

const batch: UnsignedBatch = {
  v: BATCH_VERSION,
  enterprise: 'ent-a',
  device: 'dev-1',
  readings: [reading(1, 42.5), reading(2, 43.25)],
};

describe('batch signatures', () => {
  const keys = generateDeviceKeyPair();
  const publicKey = publicKeyFromHex(keys.publicKeyHex);

  it('verifies a signed batch with the enrolled public key, and the result passes the schema', () => {
    const signed = signBatch(batch, keys.privateKeyPem);
    expect(signedBatchSchema.parse(signed)).toEqual(signed);
    expect(verifyBatchSignature(signed, publicKey)).toBe(true);
  });

  it('fails when any reading changes after signing', () => {
    const signed = signBatch(batch, keys.privateKeyPem);
    const tampered = { ...signed, readings: [reading(1, 42.5), reading(2, 4.325)] };
    expect(verifyBatchSignature(tampered, publicKey)).toBe(false);
  });

  it("fails with another device's key", () => {
    const other = generateDeviceKeyPair();
    const signed = signBatch(batch, other.privateKeyPem);
    expect(verifyBatchSignature(signed, publicKey)).toBe(false);
  });

  it('signs the canonical form, so key order on the wire does not matter', () => {
    const reordered = JSON.parse(
      JSON.stringify({ readings: batch.readings, device: 'dev-1', enterprise: 'ent-a', v: 1 }),
    ) as UnsignedBatch;
    expect(batchSigningBytes(reordered).equals(batchSigningBytes(batch))).toBe(true);
  });

  it('derives the enrolled public key from the private key file', () => {
    expect(publicKeyHexFromPrivatePem(keys.privateKeyPem)).toBe(keys.publicKeyHex);
    expect(createPrivateKey(keys.privateKeyPem).asymmetricKeyType).toBe('ed25519');
  });
});
