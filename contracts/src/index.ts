import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { encodeBytes32String, keccak256, toUtf8Bytes } from 'ethers';
import type { JsonFragment } from 'ethers';

/** What scripts/compile.mjs writes to artifacts/<Name>.json. */
export interface ContractArtifact {
  contractName: string;
  abi: JsonFragment[];
  /** Creation bytecode, 0x-prefixed. */
  bytecode: string;
}

/**
 * Reads a compiled contract from artifacts/ (outside src/, so it is read at run
 * time rather than imported). Throws with a hint when the contracts were not built.
 */
export function loadArtifact(contractName: string): ContractArtifact {
  const url = new URL(`../artifacts/${contractName}.json`, import.meta.url);
  let text: string;
  try {
    text = readFileSync(url, 'utf8');
  } catch (error) {
    throw new Error(
      `contract artifact ${fileURLToPath(url)} is missing; run \`npm run build -w @qingliu/contracts\``,
      { cause: error },
    );
  }
  return JSON.parse(text) as ContractArtifact;
}

const emissionLedger = loadArtifact('EmissionLedger');

/** ABI of EmissionLedger, including the custom errors it inherits (AccessControl, Pausable, SafeCast). */
export const EMISSION_LEDGER_ABI: readonly JsonFragment[] = emissionLedger.abi;

/** Creation bytecode of EmissionLedger; constructor(address bureau, address oracle). */
export const EMISSION_LEDGER_BYTECODE: string = emissionLedger.bytecode;

/** On-chain id of an enterprise: keccak256 of its UTF-8 id. */
export function enterpriseKey(id: string): string {
  if (id.length === 0) throw new TypeError('enterprise id is empty');
  return keccak256(toUtf8Bytes(id));
}

/** On-chain id of a pollutant: its HJ 212 code as a bytes32 short string, e.g. "w01018". */
export function pollutantKey(code: string): string {
  if (code.length === 0) throw new TypeError('pollutant code is empty');
  return encodeBytes32String(code);
}
