import { Contract, isAddress } from 'ethers';
import type { Logger } from 'pino';
import { EMISSION_LEDGER_ABI, enterpriseKey, pollutantKey } from '@qingliu/contracts';
import { QingliuError } from '@qingliu/protocol';
import type { PollutantCode } from '@qingliu/protocol';
import type { AnchoredBatch, Ledger, Settlement, SettlementReceipt } from '../ports/ledger.js';
import { revertName, toChainError } from './chain-errors.js';
import { connectRpc } from './rpc.js';
import type { RpcOptions } from './rpc.js';

export interface CreateEvmLedgerParameters extends RpcOptions {
  rpcUrl: string;
  /** Private key of the oracle account (it must hold ORACLE_ROLE). */
  privateKey: string;
  /** Address of the deployed EmissionLedger contract. */
  address: string;
  logger?: Logger;
}

const MAX_UINT64 = (1n << 64n) - 1n;
const MAX_UINT32 = 2 ** 32 - 1;
const ALREADY_SETTLED = 'EmissionLedgerBatchAlreadySettled';

/**
 * The Ledger port on an EVM chain holding an EmissionLedger contract (anvil
 * locally; any node with a web3 JSON-RPC). Resolves once the node answers and
 * a contract is found at `address`.
 *
 * Errors: an unreachable node rejects with CHAIN_UNAVAILABLE (retryable); a
 * revert rejects with CHAIN_REVERTED and the custom error in `details`
 * (retryable only for `EnforcedPause`: the bureau paused settlement, so the
 * batch should wait, not be dropped).
 *
 * For an already settled batch, `txHash` is looked up from its `BatchSettled`
 * event (best effort; `undefined` when the node refuses the log query or the
 * settling transaction is not mined yet).
 */
export async function createEvmLedger(params: CreateEvmLedgerParameters): Promise<Ledger> {
  const { rpcUrl, privateKey, address, logger, ...rpcOptions } = params;
  if (!isAddress(address)) throw new QingliuError('CONFIG_INVALID', 'the ledger address is not an address', { details: address });
  const rpc = await connectRpc(rpcUrl, privateKey, rpcOptions);
  const { provider, signer } = rpc;
  try {
    const code = await provider.getCode(address);
    if (code === '0x') {
      throw new QingliuError('CONFIG_INVALID', `no contract at ${address} on ${rpcUrl}`);
    }
  } catch (error) {
    provider.destroy();
    throw toChainError(error, 'cannot check the ledger contract');
  }
  const contract = new Contract(address, EMISSION_LEDGER_ABI, signer);
  const log = logger?.child({ component: 'evm-ledger', address });

  async function readBatch(batchId: bigint): Promise<AnchoredBatch | undefined> {
    let result: [string, bigint, bigint];
    try {
      result = (await contract.getFunction('batch').staticCall(batchId)) as [string, bigint, bigint];
    } catch (error) {
      throw toChainError(error, `cannot read batch ${batchId}`);
    }
    const [root, readingCount, settledAt] = result;
    if (settledAt === 0n) return undefined;
    return { root, readingCount: Number(readingCount), settledAt: Number(settledAt) };
  }

  /** Best effort: the transaction that emitted BatchSettled for this id. */
  async function findSettlingTx(batchId: bigint): Promise<string | undefined> {
    try {
      const events = await contract.queryFilter(contract.getEvent('BatchSettled')(batchId));
      return events[0]?.transactionHash;
    } catch (error) {
      log?.debug({ err: error, batchId: String(batchId) }, 'could not look up the settling transaction');
      return undefined;
    }
  }

  async function alreadySettled(batchId: bigint): Promise<SettlementReceipt> {
    const txHash = await findSettlingTx(batchId);
    log?.info({ batchId: String(batchId), txHash }, 'batch already settled; nothing charged');
    return { batchId, txHash, alreadySettled: true };
  }

  return {
    async settle(settlement: Settlement): Promise<SettlementReceipt> {
      const { batchId, root, readingCount, loads } = settlement;
      checkSettlement(settlement);
      if (await readBatch(batchId)) return alreadySettled(batchId);

      const started = Date.now();
      let txHash: string;
      try {
        const tx = await contract.getFunction('settle')(
          batchId,
          root,
          readingCount,
          loads.map((load) => enterpriseKey(load.enterprise)),
          loads.map((load) => pollutantKey(load.pollutant)),
          loads.map((load) => load.milligrams),
        );
        txHash = (tx as { hash: string }).hash;
      } catch (error) {
        signer.reset();
        // Another oracle (or an earlier attempt of ours) settled it in between.
        if (revertName(error, contract.interface) === ALREADY_SETTLED) return alreadySettled(batchId);
        throw toChainError(error, `cannot settle batch ${batchId}`, contract.interface);
      }

      let receipt;
      try {
        receipt = await rpc.waitForReceipt(txHash);
      } catch (error) {
        signer.reset();
        throw error;
      }
      if (receipt.status !== 1) {
        // Mined but reverted: if the batch is settled now, someone raced us.
        if (await readBatch(batchId)) return alreadySettled(batchId);
        throw new QingliuError('CHAIN_REVERTED', `settling batch ${batchId} reverted on chain`, { details: txHash });
      }
      log?.info(
        { batchId: String(batchId), txHash, loads: loads.length, ms: Date.now() - started },
        'batch settled',
      );
      return { batchId, txHash, alreadySettled: false };
    },

    async balanceOf(enterprise: string, pollutant: PollutantCode): Promise<bigint> {
      try {
        return (await contract.getFunction('balanceOf').staticCall(
          enterpriseKey(enterprise),
          pollutantKey(pollutant),
        )) as bigint;
      } catch (error) {
        throw toChainError(error, `cannot read the balance of ${enterprise} for ${pollutant}`);
      }
    },

    anchoredBatch: readBatch,

    async close(): Promise<void> {
      provider.destroy();
    },
  };
}

function checkSettlement(settlement: Settlement): void {
  const { batchId, root, readingCount, loads } = settlement;
  const problems: string[] = [];
  if (batchId < 0n || batchId > MAX_UINT64) problems.push(`batchId ${batchId} is not a uint64`);
  if (!/^0x[0-9a-fA-F]{64}$/.test(root)) problems.push(`root ${root} is not 32 bytes of hex`);
  if (!Number.isInteger(readingCount) || readingCount < 0 || readingCount > MAX_UINT32) {
    problems.push(`readingCount ${readingCount} is not a uint32`);
  }
  loads.forEach((load, i) => {
    if (load.milligrams < 0n) problems.push(`loads[${i}].milligrams is negative (${load.milligrams})`);
    if (load.enterprise.length === 0) problems.push(`loads[${i}].enterprise is empty`);
  });
  if (problems.length > 0) {
    throw new QingliuError('SCHEMA_INVALID', `settlement ${batchId} is malformed`, { details: problems.join('; ') });
  }
}
