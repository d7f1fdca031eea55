#!/usr/bin/env node
/**
 * Verifies a reading proof (cloud/src/proofs/reading-proof.ts) against the ledger the
 * verifier trusts, never the one the proof names:
 *
 *   node cloud/dist/cli/verify-proof.js --rpc http://127.0.0.1:8545 --contract 0x… [--chain-id 31337] proof.json
 *   node cloud/dist/cli/verify-proof.js --rpc http://127.0.0.1:8545 --manifest deployment.json proof.json
 *
 * `--contract` is the EmissionLedger address the bureau published; `--manifest` a deployment
 * manifest naming it and its chain id (protocol/README.md, "Which ledger"). One of them is
 * required. Prints one line per check and exits 0 when the proof holds, 1 when it does not
 * (a proof naming another ledger among them), 2 on bad usage or an unreachable node.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { getAddress, isAddress } from 'ethers';
import type { ReadingProof } from '../proofs/reading-proof.js';
import { readDeploymentManifest } from '../proofs/deployment-manifest.js';
import type { TrustedLedger } from '../proofs/deployment-manifest.js';
import { verifyReadingProof } from '../proofs/verify-proof.js';

const USAGE =
  'usage: verify-proof --rpc <url> --contract <EmissionLedger address> [--chain-id <id>] <proof.json>\n' +
  '       verify-proof --rpc <url> --manifest <deployment.json> <proof.json>\n' +
  'The ledger is the one the bureau published, not the one the proof names.';

const OPTIONS = {
  rpc: { type: 'string' },
  contract: { type: 'string' },
  'chain-id': { type: 'string' },
  manifest: { type: 'string' },
} as const;

/** The trusted ledger from the command line, or the reason it cannot be had. */
async function trustedLedger(values: { contract?: string | undefined; 'chain-id'?: string | undefined; manifest?: string | undefined }): Promise<TrustedLedger | string> {
  if (values.manifest !== undefined) {
    if (values.contract !== undefined || values['chain-id'] !== undefined) return '--manifest names the ledger and chain: give it without --contract or --chain-id';
    try {
      return await readDeploymentManifest(values.manifest);
    } catch (error) {
      return (error as Error).message;
    }
  }
  if (values.contract === undefined) return 'the ledger to verify against is required: --contract <address> or --manifest <file>';
  if (!isAddress(values.contract)) return `--contract ${values.contract} is not an address`;
  const chainId = values['chain-id'];
  if (chainId !== undefined && !/^[1-9][0-9]*$/.test(chainId)) return `--chain-id ${chainId} is not a decimal chain id`;
  return { contract: getAddress(values.contract), chainId: chainId === undefined ? undefined : BigInt(chainId) };
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ options: OPTIONS, allowPositionals: true });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [file] = positionals;
  if (!values.rpc || !file) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const trusted = await trustedLedger(values);
  if (typeof trusted === 'string') {
    process.stderr.write(`${trusted}\n${USAGE}\n`);
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
    const result = await verifyReadingProof(proof, { rpcUrl: values.rpc, contract: trusted.contract, chainId: trusted.chainId });
    for (const c of result.checks) process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}\n`);
    const failed = result.checks.filter((c) => !c.ok).map((c) => c.name);
    process.stdout.write(
      result.valid
        ? `VALID: the reading is the one anchored on ledger ${trusted.contract}\n`
        : `INVALID: ${failed.join(', ')} failed\n`,
    );
    return result.valid ? 0 : 1;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
}

process.exitCode = await main();
