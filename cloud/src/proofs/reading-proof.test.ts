/**
 * Reading proofs end to end on a real anvil node: a batch is settled through the EVM
 * Ledger adapter with protocol's tree root, a proof is made for one stored reading, and
 * the CLI verifies it against the RPC URL and the ledger the verifier trusts; tampered
 * proofs fail, and so does a proof anchored on a ledger anyone could deploy.
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
/** An EmissionLedger deployed by an account with no role (it made itself bureau and oracle). */
let forgedLedger: Ledger;
let forgedContract: string;
/** A proof of readings[10] with its COD changed, anchored on the forged ledger under the real batch id. */
let forgedProof: ReadingProof;

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

  const attackerKey = anvil.accounts[5]!;
  const attacker = new Wallet(attackerKey).address;
  ({ address: forgedContract } = await deployEmissionLedger({ rpcUrl: anvil.rpcUrl, deployerKey: attackerKey, bureau: attacker, oracle: attacker }));
  forgedLedger = await createEvmLedger({ rpcUrl: anvil.rpcUrl, privateKey: attackerKey, address: forgedContract });
  const forged = readings.map((r) => (r.seq === 10 ? { ...r, value: 12.5 } : r));
  const forgedReceipt = await forgedLedger.settle({ batchId: 4242n, root: buildReadingTree(forged).root, readingCount: forged.length, loads: [] });
  forgedProof = createReadingProof({ readings: forged, reading: forged[10]!, batchId: 4242n, txHash: forgedReceipt.txHash, contract: forgedContract });
});

afterAll(async () => {
  await ledger?.close();
  await forgedLedger?.close();
  await anvil?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI on `p` with `trust` (by default `--contract` of the real ledger) and returns its exit code and output. */
async function cli(p: unknown, trust: string[] = ['--contract', contract], rpcUrl = anvil.rpcUrl): Promise<{ code: number; out: string }> {
  const file = join(dir, `proof-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify(p));
  try {
    const { stdout } = await run(process.execPath, [CLI, '--rpc', rpcUrl, ...trust, file]);
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

  test('the CLI verifies a stored reading against the ledger it is given, and says which', async () => {
    const { code, out } = await cli(proof);
    expect(out).toContain('VALID');
    expect(out).not.toContain('FAIL');
    expect(out).toContain(`ok   ledger: ${contract}`);
    expect(code).toBe(0);
  });

  test('a proof anchored on a ledger anyone deployed is refused: the verifier checks the ledger it trusts', async () => {
    // Consistent in itself: on its own ledger the forgery passes every check.
    expect((await cli(forgedProof, ['--contract', forgedContract])).code).toBe(0);

    const named = await cli(forgedProof);
    expect(named.code).toBe(1);
    expect(named.out).toContain(`FAIL ledger: the proof names ledger ${forgedContract}, not ${contract}, the ledger you trust`);
    expect(named.out).toMatch(/^INVALID/m);
    // Relabelled with the real address, it is checked against the real ledger, which anchored another root.
    const relabelled = await cli({ ...forgedProof, contract });
    expect(relabelled.code).toBe(1);
    expect(relabelled.out).toContain('FAIL anchored root');

    const verdict = await verifyReadingProof(forgedProof, { rpcUrl: anvil.rpcUrl, contract });
    expect(verdict.valid).toBe(false);
    expect(verdict.checks.find((c) => c.name === 'ledger')).toMatchObject({ ok: false });
  });

  test("a genuine proof whose contract is not --contract's is refused with that reason", async () => {
    const { code, out } = await cli({ ...proof, contract: forgedContract });
    expect(code).toBe(1);
    expect(out).toContain(`FAIL ledger: the proof names ledger ${forgedContract}, not ${contract}, the ledger you trust`);
    expect(out).not.toContain('ok   anchored root'); // nothing is asked of a ledger the verifier does not trust
  });

  test('the CLI needs the trusted ledger: without --contract or --manifest it exits 2 and says why', async () => {
    const { code, out } = await cli(proof, []);
    expect(code).toBe(2);
    expect(out).toContain('--contract');
  });

  test('a chain id the node does not have is refused; the right one is checked', async () => {
    const wrong = await cli(proof, ['--contract', contract, '--chain-id', '1']);
    expect(wrong.code).toBe(1);
    expect(wrong.out).toContain(`FAIL chain: the node at ${anvil.rpcUrl} is on chain ${anvil.chainId}, not 1`);
    const right = await cli(proof, ['--contract', contract, '--chain-id', String(anvil.chainId)]);
    expect(right.code).toBe(0);
    expect(right.out).toContain(`ok   chain: ${anvil.chainId}`);
  });

  test("a deployment manifest names the ledger and chain: the honest proof verifies, the forged ledger's is refused", async () => {
    const manifest = join(dir, 'deployment.json');
    await writeFile(manifest, JSON.stringify({ chainId: anvil.chainId, contracts: { EmissionLedger: { address: contract.toLowerCase(), blockNumber: 1 } } }));
    expect((await cli(proof, ['--manifest', manifest])).code).toBe(0);
    const forged = await cli(forgedProof, ['--manifest', manifest]);
    expect(forged.code).toBe(1);
    expect(forged.out).toContain('FAIL ledger');
    const otherChain = join(dir, 'deployment-other-chain.json');
    await writeFile(otherChain, JSON.stringify({ chainId: 1, contracts: { EmissionLedger: { address: contract } } }));
    expect((await cli(proof, ['--manifest', otherChain])).out).toContain('FAIL chain');
    const broken = join(dir, 'deployment-broken.json');
    await writeFile(broken, JSON.stringify({ contracts: { EmissionLedger: { address: 'nowhere' } } }));
    const refused = await cli(proof, ['--manifest', broken]);
    expect(refused.code).toBe(2);
    expect(refused.out).toContain('chainId');
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
    expect((await cli(proof, undefined, 'http://127.0.0.1:1')).code).toBe(2);
    await expect(verifyReadingProof(proof, { rpcUrl: 'http://127.0.0.1:1', contract })).rejects.toMatchObject({ code: 'CHAIN_UNAVAILABLE' });
  });
});
