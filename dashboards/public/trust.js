/* global window */
// Which chain the pages check against, and on whose word. /dashboard/config.json (this server) names an RPC URL
// and the EmissionLedger; a user who does not take the server's word sets their own RPC URL and pins the ledger
// address and chain id the bureau published (protocol/README.md, "Which ledger"), kept in this browser
// (localStorage). With a pin, a server or a proof naming another ledger, or a node on another chain, is refused.
import { getAddress, isAddress } from './vendor/ethers.min.js';

const KEYS = { rpcUrl: 'qingliu-trust-rpc-url', ledger: 'qingliu-trust-ledger', chainId: 'qingliu-trust-chain-id' };

/** A refusal to use a chain the user did not pin: the page shows its message and goes no further. */
export class TrustRefusal extends Error {}

/** What the user set in this browser: { rpcUrl, ledger, chainId }, each null when not set. */
export function readPins() {
  const get = (key) => window.localStorage.getItem(key) || null;
  return { rpcUrl: get(KEYS.rpcUrl), ledger: get(KEYS.ledger), chainId: get(KEYS.chainId) };
}

/**
 * Checks and keeps the user's settings (strings from a form); an empty one removes its pin.
 * Throws an Error with a plain reason, keeping nothing, when one is not valid.
 */
export function savePins({ rpcUrl = '', ledger = '', chainId = '' }) {
  const url = rpcUrl.trim();
  const address = ledger.trim();
  const id = chainId.trim();
  if (url && !/^https?:\/\/[^\s]+$/.test(url)) throw new Error(`节点地址须为 http(s) URL · the RPC URL must be an http(s) URL: ${url}`);
  if (address && !isAddress(address)) throw new Error(`账本地址无效 · not an address: ${address}`);
  if (id && !/^[1-9][0-9]*$/.test(id)) throw new Error(`链 ID 须为十进制数 · the chain id must be a decimal number: ${id}`);
  const put = (key, value) => (value ? window.localStorage.setItem(key, value) : window.localStorage.removeItem(key));
  put(KEYS.rpcUrl, url);
  put(KEYS.ledger, address ? getAddress(address) : '');
  put(KEYS.chainId, id);
}

/** Forgets what the user set: the pages take the server's word again (and say so). */
export function clearPins() {
  for (const key of Object.values(KEYS)) window.localStorage.removeItem(key);
}

/**
 * The chain to connect to and on whose word: { rpcUrl, rpcFrom, contract, contractFrom, chainIdPin },
 * `…From` being 'user' or 'server'. Throws TrustRefusal when the user pinned a ledger and the server names another.
 */
export function resolveTrust(config, pins = readPins()) {
  const server = isAddress(config.contract) ? getAddress(config.contract) : String(config.contract);
  if (pins.ledger && server !== pins.ledger) {
    throw new TrustRefusal(
      `已拒绝：本服务器给出的账本 ${server} 不是您固定的 ${pins.ledger} · ` +
        `Refused: this server names ledger ${server}, not ${pins.ledger} that you pinned`,
    );
  }
  return {
    rpcUrl: pins.rpcUrl ?? config.rpcUrl,
    rpcFrom: pins.rpcUrl ? 'user' : 'server',
    contract: pins.ledger ?? server,
    contractFrom: pins.ledger ? 'user' : 'server',
    chainIdPin: pins.chainId === null ? null : BigInt(pins.chainId),
  };
}

/** Throws TrustRefusal when the node's chain id is not the one the user pinned. */
export function checkChainId(trust, chainId) {
  if (trust.chainIdPin !== null && chainId !== trust.chainIdPin) {
    throw new TrustRefusal(
      `已拒绝：节点 ${trust.rpcUrl} 所在的链为 ${chainId}，不是您固定的 ${trust.chainIdPin} · ` +
        `Refused: the node at ${trust.rpcUrl} is on chain ${chainId}, not ${trust.chainIdPin} that you pinned`,
    );
  }
}

const FROM = {
  contract: { user: '您固定 pinned by you', server: '本服务器提供 from this server' },
  rpc: { user: '您设置 set by you', server: '本服务器提供 from this server' },
  chain: { user: '您固定 pinned by you', server: '节点所报 as the node says' },
};

/**
 * What was checked against what, in words: "核验依据 checked against ledger 0x… (pinned by you) on chain 31337
 * (as the node says) via http://… (from this server)". `trust` is a connected chain's (common.js connectChain).
 */
export function describeTrust(trust) {
  return (
    `核验依据 checked against ledger ${trust.contract} (${FROM.contract[trust.contractFrom]})` +
    ` on chain ${trust.chainId} (${FROM.chain[trust.chainIdPin === null ? 'server' : 'user']})` +
    ` via ${trust.rpcUrl} (${FROM.rpc[trust.rpcFrom]})`
  );
}
