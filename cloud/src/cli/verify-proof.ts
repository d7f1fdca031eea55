#!/usr/bin/env node
/**
 * Verifies a reading proof (cloud/src/proofs/reading-proof.ts) against the chain:
 *
 *   node cloud/dist/cli/verify-proof.js --rpc http://127.0.0.1:8545 proof.json
 *
 * Prints one line per check and exits 0 when the proof holds, 1 when it does not,
 * 2 on bad usage or an unreachable node.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { ReadingProof } from '../proofs/reading-proof.js';
import { verifyReadingProof } from '../proofs/verify-proof.js';

const USAGE = 'usage: verify-proof --rpc <url> <proof.json>';

async function main(): Promise<number> {
  let rpc: string | undefined;
  let file: string | undefined;
  try {
    const { values, positionals } = parseArgs({ options: { rpc: { type: 'string' } }, allowPositionals: true });
    rpc = values.rpc;
    file = positionals[0];
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!rpc || !file) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let proof: ReadingProof;
  try {
    proof = JSON.parse(await readFile(file, 'utf8')) as ReadingProof;
  } catch (error) {
    process.stderr.write(`cannot read ${file}: ${(error as Error).message}\n`);
    return 2;
  }
  try {
    const result = await verifyReadingProof(proof, { rpcUrl: rpc });
    for (const c of result.checks) process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}\n`);
    process.stdout.write(result.valid ? 'VALID: the reading is the one anchored on chain\n' : 'INVALID\n');
    return result.valid ? 0 : 1;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
}

process.exitCode = await main();
