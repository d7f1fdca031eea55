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

const enterpriseRegistry = loadArtifact('EnterpriseRegistry');

/** ABI of EnterpriseRegistry (enterprises, outfalls, enrolled device keys). */
export const ENTERPRISE_REGISTRY_ABI: readonly JsonFragment[] = enterpriseRegistry.abi;

/** Creation bytecode of EnterpriseRegistry; constructor(address bureau). */
export const ENTERPRISE_REGISTRY_BYTECODE: string = enterpriseRegistry.bytecode;

const blacklist = loadArtifact('Blacklist');

/** ABI of Blacklist (listing and delisting with reason code and evidence hash). */
export const BLACKLIST_ABI: readonly JsonFragment[] = blacklist.abi;

/** Creation bytecode of Blacklist; constructor(address bureau). */
export const BLACKLIST_BYTECODE: string = blacklist.bytecode;

const alertRegistry = loadArtifact('AlertRegistry');

/** ABI of AlertRegistry (alerts' evidence hashes recorded by the oracle, the bureau's verdicts). */
export const ALERT_REGISTRY_ABI: readonly JsonFragment[] = alertRegistry.abi;

/** Creation bytecode of AlertRegistry; constructor(address bureau, address oracle). */
export const ALERT_REGISTRY_BYTECODE: string = alertRegistry.bytecode;

const emissionCredits = loadArtifact('EmissionCredits');
/** ABI of EmissionCredits (ERC-1155 credit types; AccessControl, Pausable errors included). */
export const EMISSION_CREDITS_ABI: readonly JsonFragment[] = emissionCredits.abi;
/** Creation bytecode of EmissionCredits; constructor(address bureau, address guardian). */
export const EMISSION_CREDITS_BYTECODE: string = emissionCredits.bytecode;

const negotiatedTransfer = loadArtifact('NegotiatedTransfer');
/** ABI of NegotiatedTransfer (协议转让 with bank evidence and arbitration). */
export const NEGOTIATED_TRANSFER_ABI: readonly JsonFragment[] = negotiatedTransfer.abi;
/** Creation bytecode; constructor(address credits, address registry, address blacklist, address arbitrator, address guardian). */
export const NEGOTIATED_TRANSFER_BYTECODE: string = negotiatedTransfer.bytecode;

const primarySale = loadArtifact('PrimarySale');
/** ABI of PrimarySale (the bureau's B2C sale from its reserve, delivery versus payment). */
export const PRIMARY_SALE_ABI: readonly JsonFragment[] = primarySale.abi;
/** Creation bytecode; constructor(credits, deposit, registry, blacklist, bureau, treasury, guardian). */
export const PRIMARY_SALE_BYTECODE: string = primarySale.bytecode;

const englishAuction = loadArtifact('EnglishAuction');
/** ABI of EnglishAuction (an enterprise's ascending auction of a lot, bids escrowed in deposit tokens). */
export const ENGLISH_AUCTION_ABI: readonly JsonFragment[] = englishAuction.abi;
/** Creation bytecode; constructor(credits, deposit, registry, blacklist, guardian). */
export const ENGLISH_AUCTION_BYTECODE: string = englishAuction.bytecode;

const orderBook = loadArtifact('OrderBook');
/** ABI of OrderBook (limit orders per credit type, price-time priority, paid in deposit tokens). */
export const ORDER_BOOK_ABI: readonly JsonFragment[] = orderBook.abi;
/** Creation bytecode; constructor(credits, deposit, registry, blacklist, guardian). */
export const ORDER_BOOK_BYTECODE: string = orderBook.bytecode;

const depositToken = loadArtifact('DepositToken');
/** ABI of DepositToken (a settlement bank's ERC-20 deposit token, 2 decimals). */
export const DEPOSIT_TOKEN_ABI: readonly JsonFragment[] = depositToken.abi;
/** Creation bytecode; constructor(string name, string symbol, address bank). */
export const DEPOSIT_TOKEN_BYTECODE: string = depositToken.bytecode;

/** AlertRegistry's Verdict enum (IAlertRegistry.sol), by value: `none` for an alert never recorded. */
export const ALERT_VERDICTS = ['none', 'pending', 'confirmed', 'dismissed'] as const;
export type AlertRegistryVerdict = (typeof ALERT_VERDICTS)[number];

/** Reason codes of the blacklist (IBlacklist.sol); other non-zero codes are allowed. */
export const BLACKLIST_REASONS = {
  overDischarge: 1,
  illegalDischarge: 2,
  tradeViolation: 3,
  dataTampering: 4,
  rectified: 100,
  appealUpheld: 101,
  listedInError: 102,
} as const;

/** The reasons of EmissionLedger's TopUpWarning event, by their enum value. */
export const TOP_UP_REASONS = ['DepletionWithinHorizon', 'Below20Percent', 'Below10Percent', 'Depleted'] as const;
export type TopUpReason = (typeof TOP_UP_REASONS)[number];

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

/** On-chain id of a region, outfall or device: keccak256 of its UTF-8 id, like an enterprise. */
export function idKey(id: string): string {
  if (id.length === 0) throw new TypeError('id is empty');
  return keccak256(toUtf8Bytes(id));
}

/** On-chain id of a region (e.g. "cn-330100"): keccak256 of its UTF-8 id. */
export const regionKey = idKey;

/**
 * The largest-remainder split that EmissionLedger.allocateCap applies, in TypeScript:
 * floor(cap * w_i / sum w), then one unit each to the largest remainders, ties in list order.
 * The shares sum to `cap` exactly.
 */
export function largestRemainderSplit(cap: bigint, weights: readonly bigint[]): bigint[] {
  const total = weights.reduce((sum, w) => sum + w, 0n);
  if (total <= 0n) throw new RangeError('weights sum to zero');
  if (weights.some((w) => w < 0n) || cap < 0n) throw new RangeError('negative cap or weight');
  const shares = weights.map((w) => (cap * w) / total);
  const remainders = weights.map((w) => (cap * w) % total);
  let left = cap - shares.reduce((sum, s) => sum + s, 0n);
  for (; left > 0n; left--) {
    let best = 0;
    for (let i = 1; i < remainders.length; i++) if (remainders[i]! > remainders[best]!) best = i;
    shares[best]! += 1n;
    remainders[best] = 0n;
  }
  return shares;
}
