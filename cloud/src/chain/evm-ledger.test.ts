/**
 * The EVM Ledger adapter against a real anvil node (the binary ships in
 * @foundry-rs/anvil-linux-amd64): deploy, allocate as the bureau, settle as the oracle.
 */
import { Wallet, hexlify, randomBytes } from 'ethers';
import { rejection, startAnvil } from '@qingliu/testkit';
import type { AnvilServer } from '@qingliu/testkit';
import type { Ledger, Settlement } from '../ports/ledger.js';
import { createBureauClient } from './bureau-client.js';
import type { BureauClient } from './bureau-client.js';
import { deployEmissionLedger } from './deploy.js';
import { createEvmLedger } from './evm-ledger.js';
import { describeLedgerContract } from './ledger.suite.js';

let anvil: AnvilServer;
let address: string;
let bureau: BureauClient;
let ledger: Ledger;
let nextBatchId = 1n;

beforeAll(async () => {
  try {
    anvil = await startAnvil();
  } catch (error) {
    throw new Error(`anvil could not start, so the EVM ledger tests cannot run: ${String(error)}`, { cause: error });
  }
  const [adminKey, bureauKey, oracleKey] = anvil.accounts as [string, string, string];
  ({ address } = await deployEmissionLedger({
    rpcUrl: anvil.rpcUrl,
    deployerKey: adminKey,
    bureau: new Wallet(bureauKey).address,
    oracle: new Wallet(oracleKey).address,
  }));
  bureau = await createBureauClient({ rpcUrl: anvil.rpcUrl, privateKey: bureauKey, address });
  ledger = await createEvmLedger({ rpcUrl: anvil.rpcUrl, privateKey: oracleKey, address });
});

afterAll(async () => {
  await ledger?.close();
  await bureau?.close();
  await anvil?.stop();
});

function settlement(loads: Settlement['loads'], readingCount = 120): Settlement {
  return { batchId: nextBatchId++, root: hexlify(randomBytes(32)), readingCount, loads };
}

/** A raw JSON-RPC call to anvil (its test methods: evm_setAutomine, evm_mine). */
async function anvilRpc(method: string, params: unknown[] = []): Promise<unknown> {
  const response = await fetch(anvil.rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}


// What every Ledger adapter must do, on this one (its own chain: a second deployment on the same node).
describeLedgerContract('EVM (EmissionLedger on anvil)', async () => {
  const [adminKey, bureauKey, oracleKey] = anvil.accounts as [string, string, string];
  const deployed = await deployEmissionLedger({ rpcUrl: anvil.rpcUrl, deployerKey: adminKey, bureau: new Wallet(bureauKey).address, oracle: new Wallet(oracleKey).address });
  const suiteBureau = await createBureauClient({ rpcUrl: anvil.rpcUrl, privateKey: bureauKey, address: deployed.address });
  const suiteLedger = await createEvmLedger({ rpcUrl: anvil.rpcUrl, privateKey: oracleKey, address: deployed.address });
  return {
    ledger: suiteLedger,
    allocate: async (enterprise, pollutant, milligrams) => {
      await suiteBureau.allocate(enterprise, pollutant, milligrams);
    },
    close: async () => {
      await suiteLedger.close();
      await suiteBureau.close();
    },
  };
});

describe('createEvmLedger', () => {
  test("the bureau's allocationOf is what it allocated, whatever was charged since", async () => {
    await bureau.allocate('ent-bal', 'w21011', 2_000n);
    await ledger.settle(settlement([{ enterprise: 'ent-bal', pollutant: 'w21011', milligrams: 2_500n }]));
    expect(await ledger.balanceOf('ent-bal', 'w21011')).toBe(-500n);
    expect(await bureau.allocationOf('ent-bal', 'w21011')).toBe(2_000n);
  });

  test('a batch another oracle settled while ours was pending is reported alreadySettled, not charged twice', async () => {
    await bureau.allocate('ent-pending', 'w01018', 1_000n);
    const batch = settlement([{ enterprise: 'ent-pending', pollutant: 'w01018', milligrams: 300n }]);
    // A second adapter for the same oracle key, as after a restart or on a second ingester.
    const other = await createEvmLedger({ rpcUrl: anvil.rpcUrl, privateKey: anvil.accounts[2]!, address });
    await anvilRpc('evm_setAutomine', [false]);
    try {
      const first = ledger.settle(batch);
      // Wait until the first settlement is in the pool but not mined.
      for (let i = 0; ((await anvilRpc('txpool_status')) as { pending: string }).pending === '0x0'; i++) {
        if (i > 100) throw new Error('the first settlement never reached the pool');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // The chain still shows the batch unsettled, but sending it would now revert
      // (anvil simulates against pending): the adapter must not charge it again.
      const second = await other.settle(batch);
      expect(second.alreadySettled).toBe(true);
      await anvilRpc('evm_mine');
      expect((await first).alreadySettled).toBe(false);
    } finally {
      await anvilRpc('evm_setAutomine', [true]);
      await other.close();
    }
    expect(await ledger.balanceOf('ent-pending', 'w01018')).toBe(700n);
  });

  test('another process reads the reading count and time of a batch from its BatchSettled event', async () => {
    const withLoads = settlement([{ enterprise: 'ent-other', pollutant: 'w01018', milligrams: 1n }], 4_321);
    const anchorOnly = settlement([], 10_000);
    const receipts = [await ledger.settle(withLoads), await ledger.settle(anchorOnly)];
    // A fresh adapter has nothing cached: the contract holds only the root, the event the rest.
    const other = await createEvmLedger({ rpcUrl: anvil.rpcUrl, privateKey: anvil.accounts[2]!, address });
    try {
      for (const [batch, receipt] of [[withLoads, receipts[0]!], [anchorOnly, receipts[1]!]] as const) {
        const tx = await other.settle(batch); // already settled: reports the first transaction
        expect(tx).toEqual({ batchId: batch.batchId, txHash: receipt.txHash, alreadySettled: true });
        expect(await other.anchoredBatch(batch.batchId)).toEqual(await ledger.anchoredBatch(batch.batchId));
        expect(await other.anchoredBatch(batch.batchId)).toMatchObject({ root: batch.root, readingCount: batch.readingCount });
      }
    } finally {
      await other.close();
    }
  });

  test('a key without ORACLE_ROLE is refused: CHAIN_REVERTED, not retryable, naming the custom error', async () => {
    const stranger = await createEvmLedger({ rpcUrl: anvil.rpcUrl, privateKey: anvil.accounts[3]!, address });
    try {
      const batch = settlement([{ enterprise: 'ent-x', pollutant: 'w01018', milligrams: 1n }]);
      const error = await rejection(stranger.settle(batch));
      expect(error).toMatchObject({ code: 'CHAIN_REVERTED', retryable: false });
      expect(error.details).toMatch(/^AccessControlUnauthorizedAccount\(/);
      expect(await ledger.anchoredBatch(batch.batchId)).toBeUndefined();
    } finally {
      await stranger.close();
    }
  });

  test('while the bureau has paused settlement, settle rejects as retryable, and succeeds after unpausing', async () => {
    await bureau.pause();
    const batch = settlement([{ enterprise: 'ent-pause', pollutant: 'w01018', milligrams: 5n }]);
    try {
      const error = await rejection(ledger.settle(batch));
      expect(error).toMatchObject({ code: 'CHAIN_REVERTED', retryable: true, details: 'EnforcedPause()' });
    } finally {
      await bureau.unpause();
    }
    expect((await ledger.settle(batch)).alreadySettled).toBe(false);
    expect(await ledger.balanceOf('ent-pause', 'w01018')).toBe(-5n);
  });

  test('no node at the address given fails at start with CHAIN_UNAVAILABLE', async () => {
    const error = await rejection(
      createEvmLedger({ rpcUrl: 'http://127.0.0.1:1', privateKey: anvil.accounts[2]!, address }),
    );
    expect(error).toMatchObject({ code: 'CHAIN_UNAVAILABLE', retryable: true });
  });

  // Last: it stops anvil.
  test('when the chain goes away, settle rejects with CHAIN_UNAVAILABLE, retryable, within 5 s', async () => {
    await anvil.stop();
    const started = Date.now();
    const error = await rejection(
      ledger.settle(settlement([{ enterprise: 'ent-down', pollutant: 'w01018', milligrams: 1n }])),
    );
    expect(error).toMatchObject({ code: 'CHAIN_UNAVAILABLE', retryable: true });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
