import { Contract, isAddress } from 'ethers';
import type { Logger } from 'pino';
import { EMISSION_LEDGER_ABI, enterpriseKey, pollutantKey } from '@qingliu/contracts';
import { QingliuError } from '@qingliu/protocol';
import type { PollutantCode } from '@qingliu/protocol';
import type { Ledger, Settlement, SettlementReceipt } from '../ports/ledger.js';
import { createAnchoredBatchReader } from './anchored-batches.js';
import { checkSettlement } from './settlement-check.js';
import { revertName, toChainError } from './chain-errors.js';
import { connectRpc } from './rpc.js';
import type { RpcOptions } from './rpc.js';

export interface CreateEvmLedgerParameters extends RpcOptions {
  rpcUrl: string;
  /** Private key of the oracle account (it must hold ORACLE_ROLE). */
  privateKey: string;
  /** Address of the deployed EmissionLedger contract. */
  address: string;
  /** The block the ledger was deployed in (`deployEmissionLedger` returns it): event look-ups start there. Default 0. */
  fromBlock?: number;
  logger?: Logger;
}

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
 * A settlement without loads is sent as `anchor` (less calldata: under 50k gas,
 * i.e. under 5 gas per reading at 10,000 readings), one with loads as `settle`.
 * `anchoredBatch` reads the root from the contract and the reading count and
 * time from the batch's `BatchSettled` event (the contract stores only the root).
 *
 * For an already settled batch, `txHash` is looked up from its `BatchSettled`
 * event (best effort; `undefined` when the node refuses the log query or the
 * settling transaction is not mined yet).
 */
export async function createEvmLedger(params: CreateEvmLedgerParameters): Promise<Ledger> {
  const { rpcUrl, privateKey, address, fromBlock, logger, ...rpcOptions } = params;
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
  const batches = createAnchoredBatchReader({ contract, provider, ...(fromBlock === undefined ? {} : { fromBlock }) });
  const isSettled = async (batchId: bigint): Promise<boolean> => (await batches.root(batchId)).settled;

  /** Best effort: the transaction that emitted BatchSettled for this id. */
  async function findSettlingTx(batchId: bigint): Promise<string | undefined> {
    try {
      return await batches.settlingTx(batchId);
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
      if (await isSettled(batchId)) return alreadySettled(batchId);

      const started = Date.now();
      let txHash: string;
      try {
        const tx =
          loads.length === 0
            ? await contract.getFunction('anchor')(batchId, root, readingCount)
            : await contract.getFunction('settle')(
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
        if (await isSettled(batchId)) return alreadySettled(batchId);
        throw new QingliuError('CHAIN_REVERTED', `settling batch ${batchId} reverted on chain`, { details: txHash });
      }
      batches.remember(batchId, { root: root.toLowerCase(), readingCount, txHash, blockNumber: receipt.blockNumber });
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

    async anchoredBatch(batchId: bigint) {
      const record = await batches.read(batchId);
      return record && { root: record.root, readingCount: record.readingCount, settledAt: record.settledAt };
    },

    async close(): Promise<void> {
      provider.destroy();
    },
  };
}
