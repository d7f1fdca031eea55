/**
 * The durable settlement queue against a real anvil node that is stopped and restarted
 * with its state kept on disk (anvil --state): a chain outage and a restart of our own
 * process delay settlement, and every batch is charged exactly once.
 */
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet, hexlify, randomBytes } from 'ethers';
import { isQingliuError } from '@qingliu/protocol';
import { anvilBinary, freePort, startServerProcess } from '@qingliu/testkit';
import type { ServerProcess } from '@qingliu/testkit';
import type { Ledger, Settlement } from '../ports/ledger.js';
import { createBureauClient } from './bureau-client.js';
import { deployEmissionLedger } from './deploy.js';
import { createDurableLedger } from './durable-ledger.js';
import type { DurableLedger } from './durable-ledger.js';
import { createEvmLedger } from './evm-ledger.js';

let dir: string;
let port: number;
let rpcUrl: string;
let node: ServerProcess | undefined;
let keys: string[] = [];
let address: string;

/** Starts anvil on the fixed port, loading and (on exit) dumping its state to dir/state.json. */
async function startNode(): Promise<void> {
  const configOut = join(dir, 'anvil.json');
  node = await startServerProcess({
    name: 'anvil',
    command: anvilBinary(),
    args: ['--host', '127.0.0.1', '--port', String(port), '--state', join(dir, 'state.json'), '--config-out', configOut, '--quiet'],
    ready: async () => {
      const response = await fetch(rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      });
      if (!response.ok) return false;
      keys = (JSON.parse(await readFile(configOut, 'utf8')) as { private_keys: string[] }).private_keys;
      return true;
    },
  });
}

async function stopNode(): Promise<void> {
  await node?.stop();
  node = undefined;
}

const FAST = { requestTimeoutMs: 1_000, receiptTimeoutMs: 5_000 };
const durable = async (journalPath: string): Promise<DurableLedger> => {
  const inner: Ledger = await createEvmLedger({ rpcUrl, privateKey: keys[2]!, address, ...FAST });
  return createDurableLedger(inner, { journalPath, retryMs: 100 });
};
const batch = (batchId: bigint, milligrams: bigint): Settlement => ({
  batchId,
  root: hexlify(randomBytes(32)),
  readingCount: 10,
  loads: [{ enterprise: 'ent-durable', pollutant: 'w01018', milligrams }],
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qingliu-durable-'));
  port = await freePort();
  rpcUrl = `http://127.0.0.1:${port}`;
  await startNode();
  ({ address } = await deployEmissionLedger({
    rpcUrl,
    deployerKey: keys[0]!,
    bureau: new Wallet(keys[1]!).address,
    oracle: new Wallet(keys[2]!).address,
  }));
  const bureau = await createBureauClient({ rpcUrl, privateKey: keys[1]!, address });
  await bureau.allocate('ent-durable', 'w01018', 1_000_000n);
  await bureau.close();
});

afterAll(async () => {
  await stopNode();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('createDurableLedger', () => {
  test('through a chain outage and a restart of both the node and our process, each batch is charged exactly once', async () => {
    const journalPath = join(dir, 'settlements.jsonl');
    const first = await durable(journalPath);
    expect((await first.settle(batch(1n, 100n))).alreadySettled).toBe(false);

    await stopNode(); // the node goes away; its state is dumped to disk
    const queued = [batch(2n, 20n), batch(3n, 3n)];
    for (const settlement of queued) {
      const error = await first.settle(settlement).then(() => undefined, (e: unknown) => e);
      expect(isQingliuError(error, 'CHAIN_UNAVAILABLE') && error.retryable).toBe(true);
    }
    // The settler retries the same batch: it is queued once, not twice.
    await first.settle(queued[0]!).catch(() => undefined);
    expect(first.pending().map((s) => s.batchId)).toEqual([2n, 3n]);
    const journal = (await readFile(journalPath, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { op: string; batchId: string });
    expect(journal.map((e) => `${e.op} ${e.batchId}`)).toEqual(['queued 1', 'settled 1', 'queued 2', 'queued 3']);
    await first.close(); // our process stops too

    await startNode(); // same port, state loaded from disk
    const second = await durable(journalPath);
    expect(second.pending().map((s) => s.batchId)).toEqual([2n, 3n]); // replayed from the journal
    const confirmed = await second.drain();
    expect(confirmed.map((r) => [r.batchId, r.alreadySettled])).toEqual([[2n, false], [3n, false]]);
    expect(second.pending()).toEqual([]);

    // Settling any of them again charges nothing.
    expect((await second.settle(queued[1]!)).alreadySettled).toBe(true);
    expect((await second.settle(batch(1n, 100n))).alreadySettled).toBe(true);
    expect(await second.balanceOf('ent-durable', 'w01018')).toBe(1_000_000n - 100n - 20n - 3n);
    for (const id of [1n, 2n, 3n]) expect(await second.anchoredBatch(id)).toBeDefined();
    await second.close();
  });

  test('the background retry settles a queued batch as soon as the chain is back, without another call', async () => {
    const journalPath = join(dir, 'retry.jsonl');
    const ledger = await durable(journalPath);
    await stopNode();
    await ledger.settle(batch(10n, 1n)).catch(() => undefined);
    expect(ledger.pending()).toHaveLength(1);
    await startNode();
    const deadline = Date.now() + 10_000;
    while (ledger.pending().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(ledger.pending()).toEqual([]);
    expect(await ledger.anchoredBatch(10n)).toBeDefined();
    await ledger.close();
  });

  test('a torn last line of the journal (a crash mid-write) is skipped; the entries before it are kept', async () => {
    const journalPath = join(dir, 'torn.jsonl');
    const ledger = await durable(journalPath);
    await stopNode();
    await ledger.settle(batch(20n, 1n)).catch(() => undefined);
    await ledger.close();
    await appendFile(journalPath, '{"op":"queued","batchId":"21","ro');
    await startNode();
    const reopened = await durable(journalPath);
    expect(reopened.pending().map((s) => s.batchId)).toEqual([20n]);
    await reopened.drain();
    expect(reopened.pending()).toEqual([]);
    await reopened.close();
  });
});
