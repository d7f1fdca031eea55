/**
 * Gas per anchored reading when a batch's readings are anchored as one Merkle root,
 * against one transaction per reading, at batch sizes 100, 1,000 and 10,000 on anvil; and
 * settlement latency from batch close (readings in hand) to confirmed transaction
 * (Merkle tree built, EmissionLedger.settle sent through the EVM Ledger adapter, receipt seen).
 * An anchor-only settlement (no loads) goes out as `EmissionLedger.anchor`, as the adapter
 * sends it; the contract stores one slot per batch (the root; count and time are in the
 * BatchSettled event). Prints one JSON line last.
 *
 *   node bench/dist/anchor-gas.js [--runs 3]
 */
import { parseArgs } from 'node:util';
import { JsonRpcProvider, Wallet } from 'ethers';
import { createBureauClient } from '@qingliu/cloud/chain/bureau-client';
import { deployEmissionLedger } from '@qingliu/cloud/chain/deploy';
import { createEvmLedger } from '@qingliu/cloud/chain/evm-ledger';
import type { EnterpriseLoad } from '@qingliu/cloud/ports/ledger';
import { buildReadingTree, readingLeafHash } from '@qingliu/protocol';
import type { Reading } from '@qingliu/protocol';
import { startAnvil } from '@qingliu/testkit';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const runs = Number(values.runs);
const SIZES = [100, 1_000, 10_000];
const SINGLE_TXS = 20;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function readings(n: number, offset: number): Reading[] {
  return Array.from({ length: n }, (_, i) => {
    const s = offset + i;
    const enterprise = s % 2 === 0 ? 'ent-a' : 'ent-b';
    return {
      enterprise,
      outfall: `${enterprise}-out-1`,
      device: `${enterprise}-dev-1`,
      pollutant: (['w00000', 'w01018', 'w21003'] as const)[s % 3]!,
      value: 10 + (s % 97) / 7,
      unit: 'mg/L',
      ts: 1_790_000_000_000 + s * 250,
      seq: s,
      flag: 'N',
    };
  });
}

const LOADS: EnterpriseLoad[] = [
  { enterprise: 'ent-a', pollutant: 'w01018', milligrams: 123_456n },
  { enterprise: 'ent-a', pollutant: 'w21003', milligrams: 7_890n },
  { enterprise: 'ent-b', pollutant: 'w01018', milligrams: 98_765n },
  { enterprise: 'ent-b', pollutant: 'w21003', milligrams: 4_321n },
];

const anvil = await startAnvil();
const provider = new JsonRpcProvider(anvil.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1, batchMaxCount: 1 });
try {
  const [adminKey, bureauKey, oracleKey] = anvil.accounts as [string, string, string];
  const { address } = await deployEmissionLedger({
    rpcUrl: anvil.rpcUrl,
    deployerKey: adminKey,
    bureau: new Wallet(bureauKey).address,
    oracle: new Wallet(oracleKey).address,
  });
  const bureau = await createBureauClient({ rpcUrl: anvil.rpcUrl, privateKey: bureauKey, address });
  for (const load of LOADS) await bureau.allocate(load.enterprise, load.pollutant, 10n ** 15n);
  await bureau.close();
  const ledger = await createEvmLedger({ rpcUrl: anvil.rpcUrl, privateKey: oracleKey, address });
  const gasOf = async (txHash: string | undefined): Promise<bigint> => (await provider.getTransactionReceipt(txHash!))!.gasUsed;
  let batchId = 1n;
  let offset = 0;

  // Baseline: each reading anchored by its own transaction (its leaf as a one-leaf root, no loads).
  const singleGas: bigint[] = [];
  for (const reading of readings(SINGLE_TXS, 0)) {
    const receipt = await ledger.settle({ batchId: batchId++, root: readingLeafHash(reading), readingCount: 1, loads: [] });
    singleGas.push(await gasOf(receipt.txHash));
  }
  offset += SINGLE_TXS;
  const perReadingTx = Number(singleGas.reduce((a, b) => a + b, 0n)) / singleGas.length;

  const results = [];
  for (const size of SIZES) {
    const anchorGas: number[] = [];
    const settleGas: number[] = [];
    const latencyMs: number[] = [];
    const treeMs: number[] = [];
    for (let run = 0; run < runs; run++) {
      // Anchor only: the root of `size` readings, no loads.
      const batch = readings(size, offset);
      offset += size;
      const { root } = buildReadingTree(batch);
      const anchored = await ledger.settle({ batchId: batchId++, root, readingCount: size, loads: [] });
      anchorGas.push(Number(await gasOf(anchored.txHash)));

      // A full settlement: batch closed -> tree -> settle with 4 loads -> confirmed receipt.
      const closed = readings(size, offset);
      offset += size;
      const start = performance.now();
      const tree = buildReadingTree(closed);
      const built = performance.now();
      const settled = await ledger.settle({ batchId: batchId++, root: tree.root, readingCount: size, loads: LOADS });
      const confirmed = performance.now();
      settleGas.push(Number(await gasOf(settled.txHash)));
      treeMs.push(built - start);
      latencyMs.push(confirmed - start);
    }
    const anchorPerReading = median(anchorGas) / size;
    const row = {
      size,
      anchor_gas: median(anchorGas),
      anchor_gas_per_reading: Number(anchorPerReading.toFixed(2)),
      settle_gas: median(settleGas),
      settle_gas_per_reading: Number((median(settleGas) / size).toFixed(2)),
      ratio_vs_tx_per_reading: Math.round(perReadingTx / anchorPerReading),
      tree_ms: Number(median(treeMs).toFixed(1)),
      close_to_confirmed_ms: Number(median(latencyMs).toFixed(1)),
    };
    results.push(row);
    console.log(
      `${String(size).padStart(6)} readings: anchor ${row.anchor_gas} gas = ${row.anchor_gas_per_reading} gas/reading ` +
        `(1 tx per reading: ${perReadingTx} gas/reading, ${row.ratio_vs_tx_per_reading}x); ` +
        `settle with 4 loads ${row.settle_gas} gas = ${row.settle_gas_per_reading}/reading; ` +
        `close -> confirmed ${row.close_to_confirmed_ms} ms (tree ${row.tree_ms} ms)`,
    );
  }
  await ledger.close();
  const at10k = results.find((r) => r.size === 10_000)!;
  console.log(
    JSON.stringify({
      bench: 'anchor-gas',
      tx_per_reading_gas: perReadingTx,
      goal_gas_per_reading_at_10000: 5,
      met: at10k.anchor_gas_per_reading <= 5,
      runs,
      results,
    }),
  );
} finally {
  provider.destroy();
  await anvil.stop();
}
