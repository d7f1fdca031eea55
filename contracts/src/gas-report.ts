#!/usr/bin/env node
/**
 * Gas report: runs every mutating function of the contracts in real transactions on a
 * fresh anvil node and prints gasUsed per call, in the situations that cost differently
 * (first write of a slot, steady state, batch sizes). Writes contracts/GAS.md.
 *
 *   npm run build && node contracts/dist/gas-report.js
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { AbiCoder, keccak256 } from 'ethers';
import type { Contract, TransactionReceipt } from 'ethers';
import { enterpriseKey, idKey, regionKey } from './index.js';
import { anvilRpc, send, startTestChain } from './testing/chain-fixture.js';
import type { TestChain } from './testing/chain-fixture.js';
import { COD, NH3N, REGION, bytes32 as b32, deployAll } from './testing/contracts.js';

interface Row {
  contract: string;
  fn: string;
  situation: string;
  gas: bigint;
}

const rows: Row[] = [];

async function record(
  chain: TestChain,
  contract: Contract,
  contractName: string,
  signer: 'bureau' | 'oracle',
  fn: string,
  situation: string,
  ...args: unknown[]
): Promise<TransactionReceipt> {
  const receipt = await send(chain, contract, chain.signers[signer], fn, ...args);
  if (receipt.status !== 1) throw new Error(`${contractName}.${fn} (${situation}) reverted`);
  rows.push({ contract: contractName, fn, situation, gas: receipt.gasUsed });
  return receipt;
}

async function main(): Promise<void> {
  const chain = await startTestChain();
  try {
    const { ledger, registry, blacklist, alerts } = await deployAll(chain, (name, receipt) => {
      rows.push({ contract: name, fn: 'constructor', situation: 'deploy', gas: receipt.gasUsed });
    });
    const L = 'EmissionLedger';
    const e = (i: number): string => enterpriseKey(`ent-${i}`);

    await record(chain, ledger, L, 'bureau', 'allocate', 'first credit of an enterprise and pollutant', e(0), COD, 10n ** 12n);
    await record(chain, ledger, L, 'bureau', 'allocate', 'top-up', e(0), COD, 10n ** 9n);
    await record(chain, ledger, L, 'bureau', 'issuePermit', 'one permit, new enterprise', e(1), NH3N, 2026, 10n ** 9n);
    for (const n of [3, 10, 100]) {
      const list = Array.from({ length: n }, (_, i) => enterpriseKey(`cap-${n}-${i}`));
      const history = list.map((_, i) => BigInt((i * 7919) % 613) + 1n);
      await record(chain, ledger, L, 'bureau', 'allocateCap', `${n} enterprises, new`, regionKey(`r-${n}`), COD, 2026, 9_999_999_999n, list, history);
    }
    await record(chain, ledger, L, 'bureau', 'setWarningHorizon', 'change', 86_400n);

    let batchId = 1n;
    let clock = (await chain.provider.getBlock('latest'))!.timestamp + 10;
    const settle = async (situation: string, enterprises: string[], pollutants: string[], mgs: bigint[]) => {
      clock += 300;
      await anvilRpc(chain, 'evm_setNextBlockTimestamp', [clock]);
      return record(chain, ledger, L, 'oracle', 'settle', situation, batchId++, b32(), 10_000, enterprises, pollutants, mgs);
    };
    await settle('anchor only, no loads (empty arrays)', [], [], []);
    clock += 300;
    await anvilRpc(chain, 'evm_setNextBlockTimestamp', [clock]);
    await record(chain, ledger, L, 'oracle', 'anchor', 'a batch without loads (what the cloud sends then)', batchId++, b32(), 10_000);
    await settle('1 load, first settlement of the pair', [e(0)], [COD], [1_000n]);
    // Fill the rate window (8 settlements) and one more, so the ring overwrites its oldest point.
    for (let i = 0; i < 8; i++) await settle('filling the rate window', [e(0)], [COD], [1_000n]);
    rows.splice(rows.length - 8, 8);
    await settle('1 load, steady state (rate window full)', [e(0)], [COD], [1_000n]);
    for (let i = 2; i < 6; i++) await send(chain, ledger, chain.signers.bureau, 'allocate', e(i), COD, 10n ** 12n);
    await settle('4 loads, first settlement of each pair', [e(2), e(3), e(4), e(5)], [COD, COD, COD, COD], [1n, 1n, 1n, 1n]);
    await settle('4 loads, second settlement of each pair', [e(2), e(3), e(4), e(5)], [COD, COD, COD, COD], [1n, 1n, 1n, 1n]);
    await send(chain, ledger, chain.signers.bureau, 'allocate', e(6), COD, 1_000n);
    await settle('1 load that emits TopUpWarning (Below20Percent)', [e(6)], [COD], [850n]);
    await record(chain, ledger, L, 'bureau', 'pause', 'pause');
    await record(chain, ledger, L, 'bureau', 'unpause', 'unpause');

    // Views: gas as eth_estimateGas of a call (what a contract calling them would pay, plus 21k).
    const leaf = keccak256(keccak256(AbiCoder.defaultAbiCoder().encode(['string'], ['{"x":1}'])));
    const proof = Array.from({ length: 14 }, b32); // depth of a 10,000-reading tree
    const verifyGas = await chain.provider.estimateGas({
      to: ledger.target as string,
      data: ledger.interface.encodeFunctionData('verifyReading', [1n, leaf, proof]),
    });
    rows.push({ contract: L, fn: 'verifyReading (view)', situation: 'proof of 14 nodes (10,000 readings), as eth_estimateGas', gas: verifyGas });

    const R = 'EnterpriseRegistry';
    await record(chain, registry, R, 'bureau', 'registerEnterprise', 'new enterprise', e(0), REGION, chain.addresses.enterprise);
    await record(chain, registry, R, 'bureau', 'changeEnterpriseAccount', 'move to a new account', e(0), chain.addresses.stranger);
    await record(chain, registry, R, 'bureau', 'addOutfall', 'new outfall', e(0), idKey('out-1'));
    await record(chain, registry, R, 'bureau', 'enrollDevice', 'new device', idKey('dev-1'), e(0), idKey('out-1'), b32());
    await record(chain, registry, R, 'bureau', 'revokeDevice', 'revoke', idKey('dev-1'));
    await record(chain, registry, R, 'bureau', 'enrollDevice', 're-enrol after revocation (key rotation)', idKey('dev-1'), e(0), idKey('out-1'), b32());

    const B = 'Blacklist';
    await record(chain, blacklist, B, 'bureau', 'add', 'list', e(0), 2, b32());
    await record(chain, blacklist, B, 'bureau', 'remove', 'delist', e(0), 100, b32());
    await record(chain, blacklist, B, 'bureau', 'add', 'list again', e(0), 1, b32());

    const A = 'AlertRegistry';
    const alert = (i: number, enterprise: string): unknown[] =>
      [idKey(`alert-${i}`), b32(), enterprise, idKey('out-1'), idKey('dilution'), 1_760_000_000_000n, 1_760_000_900_000n];
    const first = alert(1, e(0));
    await record(chain, alerts, A, 'oracle', 'record', 'new alert', ...first);
    await record(chain, alerts, A, 'oracle', 'record', 'the same alert again (no-op: a resent transaction)', ...first);
    await record(chain, alerts, A, 'bureau', 'confirm', 'first confirmed alert of the enterprise', first[0], b32());
    await send(chain, alerts, chain.signers.oracle, 'record', ...alert(2, e(0)));
    await record(chain, alerts, A, 'bureau', 'confirm', "the enterprise's next confirmed alert", idKey('alert-2'), b32());
    await send(chain, alerts, chain.signers.oracle, 'record', ...alert(3, e(0)));
    await record(chain, alerts, A, 'bureau', 'dismiss', 'dismiss', idKey('alert-3'), b32());
  } finally {
    await chain.close();
  }

  const lines = [
    '# Gas report',
    '',
    'gasUsed of real transactions on anvil (cancun, solc 0.8.30, optimizer 200 runs), written by',
    '`npm run build && node contracts/dist/gas-report.js`. Amounts do not change gas except',
    'where a slot goes from zero to non-zero ("first ...").',
    '',
    '| contract | function | situation | gas |',
    '|---|---|---|---:|',
    ...rows.map((r) => `| ${r.contract} | \`${r.fn}\` | ${r.situation} | ${r.gas.toLocaleString('en-US')} |`),
    '',
  ];
  const text = lines.join('\n');
  process.stdout.write(text);
  await writeFile(fileURLToPath(new URL('../GAS.md', import.meta.url)), text);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
