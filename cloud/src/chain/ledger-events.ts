import { Interface } from 'ethers';
import type { Logger } from 'pino';
import { EMISSION_LEDGER_ABI, TOP_UP_REASONS, enterpriseKey } from '@qingliu/contracts';
import { decodeBytes32String } from 'ethers';

import type { EventBase, LedgerEvent, LedgerEventFeed } from '../ports/ledger-events.js';

export type { LedgerEvent, LedgerEventFeed, LedgerEventType } from '../ports/ledger-events.js';

export interface LedgerEventFeedParameters {
  rpcUrl: string;
  /** EmissionLedger's address. */
  address: string;
  /** The block it was deployed in: the feed reads from there. Default 0. */
  fromBlock?: number;
  /** Enterprise ids to name the hashed ids of the events by (the enrolment registry's). */
  enterprises: () => readonly string[];
  /** How often to ask the node for new logs, milliseconds. Default 500. */
  pollMs?: number;
  /** Events kept for `recent()`. Default 500. */
  keep?: number;
  /** Most blocks per eth_getLogs call. Default 5,000. */
  maxBlockRange?: number;
  logger: Logger;
}

const MAX_UINT = (1n << 256n) - 1n;
const STREAMED = new Set<string>(['BatchSettled', 'LoadDeducted', 'OverDischarged', 'TopUpWarning', 'CreditsAllocated']);

interface RpcLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  logIndex: string;
  transactionHash: string;
}

/**
 * Follows EmissionLedger's events by polling `eth_getLogs` (works on any EVM JSON-RPC node,
 * FISCO BCOS's web3 RPC included, without filters or websockets), decoding them and naming
 * the enterprise of each from its hashed id. A failed poll is logged and tried again.
 */
export function createLedgerEventFeed(params: LedgerEventFeedParameters): LedgerEventFeed {
  const { logger } = params;
  const pollMs = params.pollMs ?? 500;
  const keep = params.keep ?? 500;
  const maxRange = params.maxBlockRange ?? 5_000;
  const abi = new Interface(EMISSION_LEDGER_ABI as never);
  const listeners = new Set<(event: LedgerEvent) => void>();
  const recent: LedgerEvent[] = [];
  const blockTimes = new Map<number, number>();
  let next = params.fromBlock ?? 0;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let names = new Map<string, string>();

  let rpcId = 0;
  async function rpc<T>(method: string, args: unknown[]): Promise<T> {
    const response = await fetch(params.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: (rpcId += 1), method, params: args }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json()) as { result?: T; error?: { message: string } };
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result as T;
  }

  async function blockTime(blockNumber: number): Promise<number> {
    let ms = blockTimes.get(blockNumber);
    if (ms === undefined) {
      const block = await rpc<{ timestamp: string }>('eth_getBlockByNumber', [`0x${blockNumber.toString(16)}`, false]);
      ms = Number(BigInt(block.timestamp)) * 1000;
      blockTimes.set(blockNumber, ms);
      if (blockTimes.size > 1000) blockTimes.delete(blockTimes.keys().next().value!);
    }
    return ms;
  }

  const nameOf = (key: string): string => {
    if (!names.has(key)) names = new Map(params.enterprises().map((e) => [enterpriseKey(e), e]));
    return names.get(key) ?? key;
  };

  async function decode(log: RpcLog): Promise<LedgerEvent | undefined> {
    const parsed = abi.parseLog({ topics: log.topics, data: log.data });
    if (!parsed || !STREAMED.has(parsed.name)) return undefined;
    const a = parsed.args;
    const blockNumber = Number(BigInt(log.blockNumber));
    const base: EventBase = {
      id: `${blockNumber}-${Number(BigInt(log.logIndex))}`,
      txHash: log.transactionHash,
      blockNumber,
      time: await blockTime(blockNumber),
    };
    const who = (): { enterprise: string; pollutant: string } => ({
      enterprise: nameOf(a.getValue('enterprise') as string),
      pollutant: decodeBytes32String(a.getValue('pollutant') as string),
    });
    const str = (name: string): string => String(a.getValue(name) as bigint);
    switch (parsed.name) {
      case 'BatchSettled':
        return { ...base, type: 'BatchSettled', batchId: str('batchId'), root: a.getValue('root') as string, readingCount: Number(a.getValue('readingCount')) };
      case 'LoadDeducted':
        return { ...base, type: 'LoadDeducted', ...who(), batchId: str('batchId'), milligrams: str('milligrams'), balanceAfter: str('balanceAfter') };
      case 'OverDischarged':
        return { ...base, type: 'OverDischarged', ...who(), batchId: str('batchId'), balanceAfter: str('balanceAfter') };
      case 'TopUpWarning': {
        const seconds = a.getValue('secondsToDepletion') as bigint;
        return {
          ...base,
          type: 'TopUpWarning',
          ...who(),
          batchId: str('batchId'),
          reason: TOP_UP_REASONS[Number(a.getValue('reason'))] ?? 'DepletionWithinHorizon',
          balance: str('balance'),
          secondsToDepletion: seconds === MAX_UINT ? null : String(seconds),
        };
      }
      default:
        return { ...base, type: 'CreditsAllocated', ...who(), milligrams: str('milligrams'), balanceAfter: str('balanceAfter') };
    }
  }

  async function poll(): Promise<void> {
    const latest = Number(BigInt(await rpc<string>('eth_blockNumber', [])));
    while (next <= latest && !closed) {
      const to = Math.min(latest, next + maxRange - 1);
      const logs = await rpc<RpcLog[]>('eth_getLogs', [
        { address: params.address, fromBlock: `0x${next.toString(16)}`, toBlock: `0x${to.toString(16)}` },
      ]);
      for (const log of logs) {
        const event = await decode(log);
        if (!event) continue;
        recent.push(event);
        if (recent.length > keep) recent.shift();
        for (const listener of listeners) {
          try {
            listener(event);
          } catch (error) {
            logger.warn({ err: error }, 'ledger event listener failed');
          }
        }
      }
      next = to + 1;
    }
  }

  const tick = (): void => {
    running = poll()
      .catch((error: unknown) => logger.warn({ err: error }, 'cannot read ledger events; trying again'))
      .finally(() => {
        if (!closed) timer = setTimeout(tick, pollMs);
      });
  };
  tick();

  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    recent: () => recent,
    async close() {
      closed = true;
      clearTimeout(timer);
      await running;
      listeners.clear();
    },
  };
}
