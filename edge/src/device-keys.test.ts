import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BATCH_VERSION, publicKeyFromHex, signBatch, verifyBatchSignature } from '@qingliu/protocol';
import { loadOrCreateDeviceKey } from './device-keys.js';
import { useTempDir } from '@qingliu/testkit';

describe('device keys', () => {
  const dir = useTempDir('qingliu-keys');

  it('makes a key on first start, private to its owner (0600), and the same key after', async () => {
    const first = await loadOrCreateDeviceKey(join(dir(), 'keys'), 'dev-1');
    expect(first.created).toBe(true);
    expect((await stat(join(dir(), 'keys', 'dev-1.key'))).mode & 0o777).toBe(0o600);
    const again = await loadOrCreateDeviceKey(join(dir(), 'keys'), 'dev-1');
    expect(again.created).toBe(false);
    expect(again.publicKeyHex).toBe(first.publicKeyHex);
  });

  it('signs batches that verify against the public key it reports for enrolment', async () => {
    const key = await loadOrCreateDeviceKey(dir(), 'dev-2');
    const batch = signBatch(
      {
        v: BATCH_VERSION,
        enterprise: 'ent-a',
        device: 'dev-2',
        readings: [
          { enterprise: 'ent-a', outfall: 'o', device: 'dev-2', pollutant: 'w01001', value: 7.1, unit: 'pH', ts: 1, seq: 0, flag: 'N' },
        ],
      },
      key.privateKey,
    );
    expect(verifyBatchSignature(batch, publicKeyFromHex(key.publicKeyHex))).toBe(true);
  });
});
