/* global document, Node */
// Shared by the dashboard pages: configuration, the HTTP API, the chain (EmissionLedger over JSON-RPC), formatting.
import {
  Contract,
  JsonRpcProvider,
  Network,
  decodeBytes32String,
  encodeBytes32String,
  keccak256,
  toUtf8Bytes,
} from './vendor/ethers.min.js';
import { POLLUTANTS } from './vendor/pollutants.js';

export { POLLUTANTS };
export const FLOW = 'w00000';
export const COD = 'w01018';

/** Just what the pages read from EmissionLedger. */
const LEDGER_ABI = [
  'function allocationOf(bytes32 enterprise, bytes32 pollutant) view returns (uint256)',
  'function batchRoot(uint64 batchId) view returns (bytes32 root, bool settled)',
  'function verifyReading(uint64 batchId, bytes32 leaf, bytes32[] proof) view returns (bool)',
  'event BatchSettled(uint64 indexed batchId, bytes32 root, uint32 readingCount)',
  'event LoadDeducted(bytes32 indexed enterprise, bytes32 indexed pollutant, uint64 indexed batchId, uint256 milligrams, int256 balanceAfter)',
];

/** GET a JSON document of this server; rejects with the API's error message on a non-2xx answer. */
export async function getJson(path) {
  const response = await fetch(path);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error ?? `${path}: HTTP ${response.status}`);
  return body;
}

/** On-chain ids, as contracts/src/index.ts makes them. */
export const enterpriseKey = (id) => keccak256(toUtf8Bytes(id));
export const pollutantKey = (code) => encodeBytes32String(code);

/** Connects to the chain named in /dashboard/config.json: the provider and the EmissionLedger contract. */
export async function connectChain(config) {
  const response = await fetch(config.rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
  });
  const network = Network.from(BigInt((await response.json()).result));
  const provider = new JsonRpcProvider(config.rpcUrl, network, { staticNetwork: network, cacheTimeout: -1 });
  const ledger = new Contract(config.contract, LEDGER_ABI, provider);
  const blockTimes = new Map();
  const blockTime = async (blockNumber) => {
    if (!blockTimes.has(blockNumber)) blockTimes.set(blockNumber, (await provider.getBlock(blockNumber)).timestamp * 1000);
    return blockTimes.get(blockNumber);
  };
  return {
    provider,
    ledger,
    /** The last `limit` settled batches, newest first: batchId, root, readingCount, txHash, time (ms). */
    async settlements(limit) {
      const logs = (await ledger.queryFilter('BatchSettled', config.fromBlock)).slice(-limit).reverse();
      return Promise.all(
        logs.map(async (log) => ({
          batchId: log.args.batchId,
          root: log.args.root,
          readingCount: Number(log.args.readingCount),
          txHash: log.transactionHash,
          time: await blockTime(log.blockNumber),
        })),
      );
    },
    /** Every LoadDeducted of one enterprise (or all): batchId, enterpriseKey, pollutant, milligrams, balanceAfter, txHash. */
    async deductions(enterprise) {
      const filter = ledger.filters.LoadDeducted(enterprise === undefined ? null : enterpriseKey(enterprise));
      return (await ledger.queryFilter(filter, config.fromBlock)).map((log) => ({
        batchId: log.args.batchId,
        enterpriseKey: log.args.enterprise,
        pollutant: decodeBytes32String(log.args.pollutant),
        milligrams: log.args.milligrams,
        balanceAfter: log.args.balanceAfter,
        txHash: log.transactionHash,
      }));
    },
    async allocationOf(enterprise, pollutant) {
      return ledger.getFunction('allocationOf')(enterpriseKey(enterprise), pollutantKey(pollutant));
    },
  };
}

export const pollutantName = (code) => POLLUTANTS[code]?.name ?? code;
/** Milligrams (bigint, or its decimal string) as kg with 3 decimals. */
export const kg = (milligrams) => (Number(BigInt(milligrams)) / 1e6).toFixed(3);
/** Milligrams as kg, g or mg, whichever shows a small load without rounding it to zero. */
export function mass(milligrams) {
  const mg = Number(BigInt(milligrams));
  if (Math.abs(mg) >= 1e6) return `${(mg / 1e6).toFixed(3)} kg`;
  if (Math.abs(mg) >= 1e3) return `${(mg / 1e3).toFixed(1)} g`;
  return `${mg} mg`;
}
export const shortHash = (hash) => `${hash.slice(0, 10)}…${hash.slice(-6)}`;
export const time = (ms) => new Date(ms).toLocaleTimeString('en-GB', { hour12: false });

/** Creates an element with attributes and children (strings become text nodes). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'class') node.className = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

/** Replaces the rows of a table body. */
export function setRows(tbody, rows) {
  tbody.replaceChildren(...rows);
}

/** Shows an error in the page's status line instead of failing silently; without one, clears it. */
export function showError(error) {
  const line = document.getElementById('error');
  if (!line) return;
  line.textContent = error === undefined ? '' : `⚠ ${error instanceof Error ? error.message : String(error)}`;
}
