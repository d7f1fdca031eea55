/**
 * Chain profiles on real anvil nodes: the chain id is checked when connecting, so a wrong
 * chain is refused before anything is sent, and transactions are priced as the profile says
 * (EIP-1559, legacy, or zero on a chain without fees, as FISCO BCOS or Besu free gas).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonRpcProvider, Wallet, hexlify, randomBytes } from 'ethers';
import { anvilBinary, freePort, rejection, startAnvil, startServerProcess } from '@qingliu/testkit';
import type { AnvilServer, ServerProcess } from '@qingliu/testkit';
import { createBureauClient } from './bureau-client.js';
import type { ChainProfile } from './chain-profile.js';
import { deployEmissionLedger } from './deploy.js';
import { createEvmLedger } from './evm-ledger.js';
import { connectRpc } from './rpc.js';

let anvil: AnvilServer;
let provider: JsonRpcProvider;
let address: string;
let batchId = 1n;

beforeAll(async () => {
  anvil = await startAnvil();
  provider = new JsonRpcProvider(anvil.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1, batchMaxCount: 1 });
  ({ address } = await deployEmissionLedger({
    rpcUrl: anvil.rpcUrl,
    deployerKey: anvil.accounts[0]!,
    bureau: new Wallet(anvil.accounts[1]!).address,
    oracle: new Wallet(anvil.accounts[2]!).address,
    profile: { chainId: 31337 },
  }));
});

afterAll(async () => {
  provider?.destroy();
  await anvil?.stop();
});


/** Settles one anchor-only batch with `profile` and returns the transaction as the node holds it. */
async function settleWith(rpcUrl: string, ledgerAddress: string, key: string, profile: ChainProfile) {
  const ledger = await createEvmLedger({ rpcUrl, privateKey: key, address: ledgerAddress, profile });
  try {
    const { txHash } = await ledger.settle({ batchId: batchId++, root: hexlify(randomBytes(32)), readingCount: 1, loads: [] });
    return txHash!;
  } finally {
    await ledger.close();
  }
}

describe('chain profile', () => {
  test('a node on another chain id is refused with CONFIG_INVALID before anything is sent', async () => {
    const wrong = { name: 'besu-prod', chainId: 1337 };
    const before = await provider.getTransactionCount(new Wallet(anvil.accounts[2]!).address);
    for (const attempt of [
      createEvmLedger({ rpcUrl: anvil.rpcUrl, privateKey: anvil.accounts[2]!, address, profile: wrong }),
      createBureauClient({ rpcUrl: anvil.rpcUrl, privateKey: anvil.accounts[1]!, address, profile: wrong }),
      deployEmissionLedger({ rpcUrl: anvil.rpcUrl, deployerKey: anvil.accounts[0]!, bureau: address, oracle: address, profile: wrong }),
    ]) {
      const error = await rejection(attempt);
      expect(error).toMatchObject({ code: 'CONFIG_INVALID', retryable: false });
      expect(error.message).toContain('is chain 31337, but the profile besu-prod expects chain 1337');
    }
    expect(await provider.getTransactionCount(new Wallet(anvil.accounts[2]!).address)).toBe(before);
  });

  test('a malformed profile is refused, naming the field', async () => {
    const error = await rejection(
      createEvmLedger({ rpcUrl: anvil.rpcUrl, privateKey: anvil.accounts[2]!, address, profile: { chainId: 31337, gasPrice: 'cheap' as never } }),
    );
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(error.message).toContain('gasPrice');
  });

  test('eip1559 sends type-2 transactions, legacy type-0 ones at the node\'s gas price', async () => {
    const eip1559 = await provider.getTransaction(await settleWith(anvil.rpcUrl, address, anvil.accounts[2]!, { chainId: 31337, gasPrice: 'eip1559' }));
    expect(eip1559?.type).toBe(2);
    const legacy = await provider.getTransaction(await settleWith(anvil.rpcUrl, address, anvil.accounts[2]!, { chainId: 31337, gasPrice: 'legacy' }));
    expect([legacy?.type, legacy?.maxFeePerGas]).toEqual([0, null]);
    expect(legacy?.gasPrice).toBeGreaterThan(0n);
  });

  test('gas estimates get headroom, so a block other than the one estimated against cannot run the transaction out of gas', async () => {
    const rpc = await connectRpc(anvil.rpcUrl, anvil.accounts[2]!, { profile: { chainId: 31337 } });
    try {
      // A call that succeeds: balanceOf(bytes32 0, bytes32 0) on EmissionLedger.
      const tx = { from: new Wallet(anvil.accounts[2]!).address, to: address, data: `0xb1ffc03e${'00'.repeat(64)}` };
      const raw = BigInt((await provider.send('eth_estimateGas', [tx])) as string);
      expect(await rpc.provider.estimateGas(tx)).toBe(raw + raw / 5n + 10_000n);
    } finally {
      rpc.provider.destroy();
    }
  });

  describe('on a chain without fees (zero base fee, zero gas price)', () => {
    let dir: string;
    let node: ServerProcess;
    let rpcUrl: string;
    let keys: string[] = [];

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'qingliu-free-gas-'));
      const port = await freePort();
      rpcUrl = `http://127.0.0.1:${port}`;
      const configOut = join(dir, 'anvil.json');
      node = await startServerProcess({
        name: 'anvil',
        command: anvilBinary(),
        args: ['--host', '127.0.0.1', '--port', String(port), '--chain-id', '20200', '--base-fee', '0', '--gas-price', '0', '--config-out', configOut, '--quiet'],
        ready: async () => {
          const response = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }) });
          if (!response.ok) return false;
          keys = (JSON.parse(await readFile(configOut, 'utf8')) as { private_keys: string[] }).private_keys;
          return true;
        },
      });
    });

    afterAll(async () => {
      await node?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    test('zero deploys and settles at gas price 0: the oracle pays nothing', async () => {
      const profile = { name: 'fisco-bcos-test', chainId: 20200, gasPrice: 'zero' } as const;
      const oracle = new Wallet(keys[2]!).address;
      const deployed = await deployEmissionLedger({ rpcUrl, deployerKey: keys[0]!, bureau: new Wallet(keys[1]!).address, oracle, profile });
      const free = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1, batchMaxCount: 1 });
      try {
        const balance = await free.getBalance(oracle);
        const tx = await free.getTransaction(await settleWith(rpcUrl, deployed.address, keys[2]!, profile));
        expect([tx?.type, tx?.gasPrice]).toEqual([0, 0n]);
        expect(await free.getBalance(oracle)).toBe(balance);
      } finally {
        free.destroy();
      }
    });

    test('eip1559 is refused at connect: the chain has no base fee', async () => {
      const error = await rejection(createEvmLedger({ rpcUrl, privateKey: keys[2]!, address, profile: { chainId: 20200, gasPrice: 'eip1559' } }));
      expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
      expect(error.message).toContain('no EIP-1559 base fee');
    });
  });
});
