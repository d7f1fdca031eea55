/* global document, window, Node */
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
import { checkChainId, resolveTrust } from './trust.js';

export { POLLUTANTS };
export const FLOW = 'w00000';
export const COD = 'w01018';

/** Just what the pages read from EmissionLedger. */
const LEDGER_ABI = [
  'function allocationOf(bytes32 enterprise, bytes32 pollutant) view returns (uint256)',
  'function balanceOf(bytes32 enterprise, bytes32 pollutant) view returns (int256)',
  'function consumptionOf(bytes32 enterprise, bytes32 pollutant) view returns (uint256 milligrams, uint256 seconds_, uint256 secondsToDepletion)',
  'event CreditsAllocated(bytes32 indexed enterprise, bytes32 indexed pollutant, uint256 milligrams, int256 balanceAfter)',
  'event TopUpWarning(bytes32 indexed enterprise, bytes32 indexed pollutant, uint64 indexed batchId, uint8 reason, int256 balance, uint256 secondsToDepletion)',
  'function batchRoot(uint64 batchId) view returns (bytes32 root, bool settled)',
  'function verifyReading(uint64 batchId, bytes32 leaf, bytes32[] proof) view returns (bool)',
  'event BatchSettled(uint64 indexed batchId, bytes32 root, uint32 readingCount)',
  'event LoadDeducted(bytes32 indexed enterprise, bytes32 indexed pollutant, uint64 indexed batchId, uint256 milligrams, int256 balanceAfter)',
];

const BLACKLIST_ABI = [
  'function isBlacklisted(bytes32 enterprise) view returns (bool)',
  'event EnterpriseBlacklisted(bytes32 indexed enterprise, uint16 indexed reasonCode, bytes32 evidenceHash, address bureau)',
  'event EnterpriseDelisted(bytes32 indexed enterprise, uint16 indexed reasonCode, bytes32 evidenceHash, address bureau)',
];

/** Just what the pages read from AlertRegistry. */
const ALERT_REGISTRY_ABI = [
  'function alertOf(bytes32 alertId) view returns (tuple(bytes32 evidenceHash, bytes32 enterprise, bytes32 outfall, bytes32 kind, uint64 start, uint64 end, uint8 verdict, uint64 decidedAt, bytes32 reasonHash))',
  'function confirmedCount(bytes32 enterprise) view returns (uint256)',
];

/** AlertRegistry's Verdict enum, by value. */
export const ALERT_VERDICTS = ['none', 'pending', 'confirmed', 'dismissed'];

/** IBlacklist.sol's reason codes. */
export const BLACKLIST_REASONS = {
  1: 'over-discharge',
  2: 'illegal discharge',
  3: 'trade violation',
  4: 'data tampering',
  100: 'rectified',
  101: 'appeal upheld',
  102: 'listed in error',
};

/** EmissionLedger's TopUpReason, in words. */
export const TOP_UP_WORDS = {
  DepletionWithinHorizon: 'projected to run out within the warning horizon',
  Below20Percent: 'below 20 % of its last top-up',
  Below10Percent: 'below 10 % of its last top-up',
  Depleted: 'used up: discharging on debt',
};

/**
 * The API token of this tab: a dashboard URL carries it after `#token=` (the fragment never
 * reaches a server or its logs); it is kept in sessionStorage for the tab's other pages and
 * taken out of the address bar. Without one, the caller is the public.
 */
const TOKEN_KEY = 'qingliu-api-token';
const fragment = new URLSearchParams(window.location.hash.slice(1));
if (fragment.has('token')) {
  sessionStorage.setItem(TOKEN_KEY, fragment.get('token'));
  fragment.delete('token');
  const rest = fragment.toString();
  window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}${rest ? `#${rest}` : ''}`);
}
const authorization = () => {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { authorization: `Bearer ${token}` } : {};
};

/** GET a JSON document of this server (with the tab's token); rejects with the API's error message on a non-2xx answer. */
export async function getJson(path) {
  const response = await fetch(path, { headers: authorization() });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error ?? `${path}: HTTP ${response.status}`);
  return body;
}

/** POST JSON to this server (with the tab's token); rejects with the API's error message on a non-2xx answer. */
export async function postJson(path, body) {
  const response = await fetch(path, { method: 'POST', headers: { ...authorization(), 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.error ?? `${path}: HTTP ${response.status}`);
  return answer;
}

/**
 * Follows a server-sent event stream of this server with the tab's token (fetch, since
 * EventSource cannot send headers), calling `onEvent(type, data)`; reconnects after a drop.
 * `onState('live' | 'reconnecting' | error message)` reports the connection.
 */
export function followEvents(path, onEvent, onState = () => {}) {
  const run = async () => {
    const response = await fetch(path, { headers: { ...authorization(), accept: 'text/event-stream' } });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error(body.error ?? `${path}: HTTP ${response.status}`);
    }
    onState('live');
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const type = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (type && data) onEvent(type, JSON.parse(data));
      }
    }
  };
  const loop = () =>
    run()
      .then(() => onState('reconnecting'))
      .catch((error) => onState(error.message))
      .finally(() => window.setTimeout(loop, 2000));
  loop();
}

/** On-chain ids, as contracts/src/index.ts makes them. */
export const enterpriseKey = (id) => keccak256(toUtf8Bytes(id));
export const pollutantKey = (code) => encodeBytes32String(code);

/**
 * Connects to the chain: the RPC URL and EmissionLedger the user set in this browser, else those named in
 * /dashboard/config.json (trust.js). Resolves to the provider, the EmissionLedger contract and `trust`: what the
 * page checks against and on whose word ({ rpcUrl, rpcFrom, contract, contractFrom, chainId, chainIdPin }).
 * Rejects with TrustRefusal when the server names another ledger than the pinned one, or the node is on
 * another chain than the pinned one.
 */
export async function connectChain(config) {
  const trust = resolveTrust(config);
  let chainId;
  try {
    const response = await fetch(trust.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    });
    chainId = BigInt((await response.json()).result);
  } catch (error) {
    throw new Error(`无法连接节点 · cannot reach the chain node at ${trust.rpcUrl}: ${error.message}`);
  }
  checkChainId(trust, chainId);
  const network = Network.from(chainId);
  const provider = new JsonRpcProvider(trust.rpcUrl, network, { staticNetwork: network, cacheTimeout: -1 });
  const ledger = new Contract(trust.contract, LEDGER_ABI, provider);
  const blacklist = config.blacklist ? new Contract(config.blacklist, BLACKLIST_ABI, provider) : undefined;
  const alertRegistry = config.alertRegistry ? new Contract(config.alertRegistry, ALERT_REGISTRY_ABI, provider) : undefined;
  const blockTimes = new Map();
  const blockTime = async (blockNumber) => {
    if (!blockTimes.has(blockNumber)) blockTimes.set(blockNumber, (await provider.getBlock(blockNumber)).timestamp * 1000);
    return blockTimes.get(blockNumber);
  };
  return {
    trust: { ...trust, chainId },
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
    async balanceOf(enterprise, pollutant) {
      return ledger.getFunction('balanceOf')(enterpriseKey(enterprise), pollutantKey(pollutant));
    },
    /** The on-chain consumption rate: milligrams per hour (null: no rate yet) and the projected depletion time (ms; 0: depleted; null: unknown). */
    async consumptionOf(enterprise, pollutant) {
      const [milligrams, seconds, secondsToDepletion] = await ledger.getFunction('consumptionOf')(enterpriseKey(enterprise), pollutantKey(pollutant));
      const unknown = secondsToDepletion === (1n << 256n) - 1n;
      return {
        milligramsPerHour: seconds > 0n ? (Number(milligrams) * 3600) / Number(seconds) : null,
        /** Null: no rate yet. The contract rounds down, so 0 with credits left means within the second. */
        depletesAt: unknown ? null : Date.now() + Number(secondsToDepletion) * 1000,
      };
    },
    /** Every CreditsAllocated (grants and permits): enterpriseKey, pollutant, milligrams, balanceAfter, txHash, time. */
    async allocations() {
      const logs = await ledger.queryFilter('CreditsAllocated', config.fromBlock);
      return Promise.all(
        logs.map(async (log) => ({
          enterpriseKey: log.args.enterprise,
          pollutant: decodeBytes32String(log.args.pollutant),
          milligrams: log.args.milligrams,
          balanceAfter: log.args.balanceAfter,
          txHash: log.transactionHash,
          time: await blockTime(log.blockNumber),
        })),
      );
    },
    /** The blacklist's listings and delistings, oldest first (empty without a Blacklist address). */
    async blacklistHistory() {
      if (!blacklist) return [];
      const [listed, delisted] = await Promise.all([
        blacklist.queryFilter('EnterpriseBlacklisted', config.fromBlock),
        blacklist.queryFilter('EnterpriseDelisted', config.fromBlock),
      ]);
      const entries = await Promise.all(
        [...listed, ...delisted].map(async (log) => ({
          listed: log.fragment.name === 'EnterpriseBlacklisted',
          enterpriseKey: log.args.enterprise,
          reason: BLACKLIST_REASONS[Number(log.args.reasonCode)] ?? `reason ${log.args.reasonCode}`,
          evidenceHash: log.args.evidenceHash,
          txHash: log.transactionHash,
          order: log.blockNumber * 1e6 + log.index,
          time: await blockTime(log.blockNumber),
        })),
      );
      return entries.sort((a, b) => a.order - b.order);
    },
    hasBlacklist: Boolean(blacklist),
    hasAlertRegistry: Boolean(alertRegistry),
    /** What AlertRegistry holds for an alert id: null when it was never recorded (or no registry is configured). */
    async alertOf(alertId) {
      if (!alertRegistry) return null;
      const a = await alertRegistry.getFunction('alertOf')(alertId);
      if (BigInt(a.evidenceHash) === 0n) return null;
      return {
        evidenceHash: a.evidenceHash,
        enterpriseKey: a.enterprise,
        outfallKey: a.outfall,
        kindKey: a.kind,
        start: Number(a.start),
        end: Number(a.end),
        verdict: ALERT_VERDICTS[Number(a.verdict)] ?? `verdict ${a.verdict}`,
        decidedAt: Number(a.decidedAt) * 1000,
        reasonHash: a.reasonHash,
      };
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
/** Date and time, to the minute: "24 Nov 2026, 14:05". */
export const dateTime = (ms) =>
  new Date(ms).toLocaleString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false });
/** A span of seconds in words: "3 min", "5 h 20 min", "12 days". */
export function duration(seconds) {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
  return `${Math.round(seconds / 86400)} days`;
}

/** The enterprises' ids by their on-chain key. */
export const enterpriseNames = (ids) => new Map(ids.map((id) => [enterpriseKey(id), id]));

/** Who this tab is, from its token: { role, enterprise? }. */
export const whoAmI = () => getJson('/api/v1/me');

/** Shows the caller's role in the header's `#who` element. */
export function showWho(me) {
  const who = document.getElementById('who');
  if (who) who.textContent = me.role === 'enterprise' ? `signed in as ${me.enterprise}` : me.role === 'bureau' ? 'signed in as the bureau' : 'public (no token)';
}

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

/** Stops a page's script where it is awaited, without an error: for a page that has shown why it goes no further. */
export const halt = () => new Promise(() => {});
