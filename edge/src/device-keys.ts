import { createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateDeviceKeyPair, publicKeyHexFromPrivatePem } from '@qingliu/protocol';

export interface DeviceKey {
  device: string;
  privateKey: KeyObject;
  /** Raw Ed25519 public key, hex: what the bureau enrols. */
  publicKeyHex: string;
  /** True when the key was made just now (first start). */
  created: boolean;
}

/**
 * The device's Ed25519 signing key, kept at `<keyDir>/<device>.key` (PKCS#8
 * PEM, mode 0600). Made on first start; the same key on every start after.
 */
export async function loadOrCreateDeviceKey(keyDir: string, device: string): Promise<DeviceKey> {
  await mkdir(keyDir, { recursive: true, mode: 0o700 });
  const path = join(keyDir, `${device}.key`);
  let pem: string;
  let created = false;
  try {
    pem = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    pem = generateDeviceKeyPair().privateKeyPem;
    await writeFile(path, pem, { mode: 0o600, flag: 'wx' });
    created = true;
  }
  await chmod(path, 0o600);
  return { device, privateKey: createPrivateKey(pem), publicKeyHex: publicKeyHexFromPrivatePem(pem), created };
}
