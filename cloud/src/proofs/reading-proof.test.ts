/**
 * Reading proofs end to end on a real anvil node: a batch is settled through the EVM
 * Ledger adapter with protocol's tree root, a proof is made for one stored reading, and
 * the CLI verifies it with nothing but the RPC URL; tampered proofs fail.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Wallet } from 'ethers';
import { buildReadingTree, isQingliuError } from '@qingliu/protocol';
import type { Reading } from '@qingliu/protocol';
import { startAnvil } from '@qingliu/testkit';
import type { AnvilServer } from '@qingliu/testkit';
import { deployEmissionLedger } from '../chain/deploy.js';
import { createEvmLedger } from '../chain/evm-ledger.js';
import type { Ledger } from '../ports/ledger.js';
import { createReadingProof } from './reading-proof.js';
import type { ReadingProof } from './reading-proof.js';
import { verifyReadingProof } from './verify-proof.js';

const CLI = fileURLToPath(new URL('../cli/verify-proof.js', import.meta.url));
const run = promisify(execFile);

let anvil: AnvilServer;
let ledger: Ledger;
let contract: string;
let dir: string;
let proof: ReadingProof;

const readings: Reading[] = Array.from({ length: 37 }, (_, i) => ({
  enterprise: 'ent-a',
  outfall: 'ent-a-out-1',
  device: 'ent-a-dev-1',
  pollutant: i % 2 === 0 ? 'w01018' : 'w00000',
  value: i % 2 === 0 ? 48.73 + i / 100 : 12.5,
  unit: i % 2 === 0 ? 'mg/L' : 'm3/h',
  ts: 1795996800000 + Math.floor(i / 2) * 1000,
  seq: i,
  flag: 'N',
}));

beforeAll(async () => {
  anvil = await startAnvil();
  const [adminKey, bureauKey, oracleKey] = anvil.accounts as [string, string, string];
  ({ address: contract } = await deployEmissionLedger({
    rpcUrl: anvil.rpcUrl,
    deployerKey: adminKey,
    bureau: new Wallet(bureauKey).address,
    oracle: new Wallet(oracleKey).address,
  }));
  ledger = await createEvmLedger({ rpcUrl: anvil.rpcUrl, privateKey: oracleKey, address: contract });
  const { root } = buildReadingTree(readings);
  const receipt = await ledger.settle({ batchId: 4242n, root, readingCount: readings.length, loads: [] });
  proof = createReadingProof({ readings, reading: readings[10]!, batchId: 4242n, txHash: receipt.txHash, contract });
  dir = await mkdtemp(join(tmpdir(), 'qingliu-proof-'));
});

afterAll(async () => {
  await ledger?.close();
  await anvil?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI on `p` and returns its exit code and output. */
async function cli(p: unknown, rpcUrl = anvil.rpcUrl): Promise<{ code: number; out: string }> {
  const file = join(dir, `proof-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify(p));
  try {
    const { stdout } = await run(process.execPath, [CLI, '--rpc', rpcUrl, file]);
    return { code: 0, out: stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describe('reading proofs', () => {
  test('a proof holds the reading, its leaf and path, the anchored root, batch, transaction and contract', () => {
    expect(proof).toEqual({
      reading: readings[10],
      leaf: expect.stringMatching(/^0x[0-9a-f]{64}$/),
      proof: expect.arrayContaining([expect.stringMatching(/^0x[0-9a-f]{64}$/)]),
      root: buildReadingTree(readings).root,
      batchId: '4242',
      txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/),
      contract,
    });
    // The order the store returns readings in does not change the proof.
    expect(createReadingProof({ readings: [...readings].reverse(), reading: readings[10]!, batchId: 4242n, txHash: undefined, contract }).proof).toEqual(proof.proof);
  });

  test('the CLI verifies a stored reading against the chain with nothing but the RPC URL', async () => {
    const { code, out } = await cli(proof);
    expect(out).toContain('VALID');
    expect(out).not.toContain('FAIL');
    expect(code).toBe(0);
  });

  test('a tampered value, proof, root, batch or transaction is refused, naming the failed check', async () => {
    const cases: [string, ReadingProof, string][] = [
      ['value', { ...proof, reading: { ...proof.reading, value: proof.reading.value + 0.01 } }, 'leaf'],
      ['seq', { ...proof, reading: { ...proof.reading, seq: 99 } }, 'verifyReading'],
      ['path', { ...proof, proof: [...proof.proof].reverse() }, 'verifyReading'],
      ['root', { ...proof, root: `0x${'11'.repeat(32)}` }, 'anchored root'],
      ['batch', { ...proof, batchId: '4243' }, 'anchored root'],
      ['transaction', { ...proof, txHash: `0x${'22'.repeat(32)}` }, 'transaction'],
    ];
    for (const [what, tampered, failedCheck] of cases) {
      const { code, out } = await cli(tampered);
      expect([what, code]).toEqual([what, 1]);
      expect(out).toContain(`FAIL ${failedCheck}`);
    }
  });

  test('a reading outside the batch gets no proof', () => {
    let error: unknown;
    try {
      createReadingProof({ readings, reading: { ...readings[0]!, seq: 1000 }, batchId: 4242n, txHash: undefined, contract });
    } catch (e) {
      error = e;
    }
    expect(isQingliuError(error, 'SCHEMA_INVALID')).toBe(true);
  });

  test('with no node at the URL the CLI exits 2, and the function rejects as CHAIN_UNAVAILABLE', async () => {
    expect((await cli(proof, 'http://127.0.0.1:1')).code).toBe(2);
    await expect(verifyReadingProof(proof, { rpcUrl: 'http://127.0.0.1:1' })).rejects.toMatchObject({ code: 'CHAIN_UNAVAILABLE' });
  });
});
