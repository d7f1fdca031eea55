import { Contract, FetchRequest, JsonRpcProvider, Network, isAddress } from 'ethers';
import type { EventLog } from 'ethers';
import { ALERT_REGISTRY_ABI, BLACKLIST_ABI, EMISSION_LEDGER_ABI, enterpriseKey, pollutantKey } from '@qingliu/contracts';
import { QingliuError } from '@qingliu/protocol';
import type { PollutantCode } from '@qingliu/protocol';
import type { EnterpriseRecord, EnterpriseRecordSource } from '../ports/enterprise-record.js';
import { toChainError } from './chain-errors.js';

export interface CreateEvmEnterpriseRecordParameters {
  rpcUrl: string;
  /** EmissionLedger: the balances and allocations. */
  emissionLedger: string;
  /** AlertRegistry: the confirmed alerts. */
  alertRegistry: string;
  /** Blacklist; without it no enterprise is listed. */
  blacklist?: string | undefined;
  /** The pollutants whose debt counts (the charged ones). */
  pollutants: readonly PollutantCode[];
  /** The block AlertRegistry was deployed in: `AlertConfirmed` look-ups start there. Default 0. */
  fromBlock?: number;
  /** One JSON-RPC request at most this long, milliseconds. Default 10,000. */
  requestTimeoutMs?: number;
}

/**
 * Reads enterprises' records from an EVM node, keyless: `AlertConfirmed` events of the
 * enterprise (with their block times, for the window) and `confirmedCount` from AlertRegistry,
 * `isBlacklisted` from Blacklist, `balanceOf` and `allocationOf` per pollutant from EmissionLedger.
 * Resolves once the node answers; an unreachable node rejects with CHAIN_UNAVAILABLE (retryable),
 * at creation and on each read.
 */
export async function createEvmEnterpriseRecord(params: CreateEvmEnterpriseRecordParameters): Promise<EnterpriseRecordSource> {
  for (const [field, value] of [['emissionLedger', params.emissionLedger], ['alertRegistry', params.alertRegistry], ['blacklist', params.blacklist]] as const) {
    if (value !== undefined && !isAddress(value)) throw new QingliuError('CONFIG_INVALID', `the enterprise record's ${field} is not an address`, { details: value });
  }
  const request = new FetchRequest(params.rpcUrl);
  request.timeout = params.requestTimeoutMs ?? 10_000;
  let chainId: bigint;
  try {
    const probe = new JsonRpcProvider(request.clone(), undefined, { staticNetwork: true, batchMaxCount: 1 });
    chainId = (await probe.getNetwork()).chainId;
    probe.destroy();
  } catch (error) {
    throw new QingliuError('CHAIN_UNAVAILABLE', `cannot reach the chain at ${params.rpcUrl}`, { retryable: true, cause: error });
  }
  const network = Network.from(chainId);
  const provider = new JsonRpcProvider(request, network, { staticNetwork: network, cacheTimeout: -1, batchMaxCount: 1 });
  const ledger = new Contract(params.emissionLedger, EMISSION_LEDGER_ABI, provider);
  const alerts = new Contract(params.alertRegistry, ALERT_REGISTRY_ABI, provider);
  const blacklist = params.blacklist === undefined ? undefined : new Contract(params.blacklist, BLACKLIST_ABI, provider);
  const blockTimes = new Map<number, number>();
  const blockTime = async (blockNumber: number): Promise<number> => {
    let ms = blockTimes.get(blockNumber);
    if (ms === undefined) {
      const block = await provider.getBlock(blockNumber);
      ms = (block?.timestamp ?? 0) * 1000;
      blockTimes.set(blockNumber, ms);
    }
    return ms;
  };

  return {
    async read(enterprise: string, sinceMs: number): Promise<EnterpriseRecord> {
      if (enterprise.length === 0) throw new QingliuError('SCHEMA_INVALID', 'the enterprise id is empty');
      const key = enterpriseKey(enterprise);
      try {
        const [events, total, listed, credits] = await Promise.all([
          alerts.queryFilter(alerts.getEvent('AlertConfirmed')(null, key), params.fromBlock ?? 0, 'latest'),
          alerts.getFunction('confirmedCount').staticCall(key) as Promise<bigint>,
          blacklist ? (blacklist.getFunction('isBlacklisted').staticCall(key) as Promise<boolean>) : Promise.resolve(false),
          Promise.all(
            params.pollutants.map(async (pollutant) => ({
              pollutant,
              balanceMilligrams: (await ledger.getFunction('balanceOf').staticCall(key, pollutantKey(pollutant))) as bigint,
              allocatedMilligrams: (await ledger.getFunction('allocationOf').staticCall(key, pollutantKey(pollutant))) as bigint,
            })),
          ),
        ]);
        const confirmedAlertIds: string[] = [];
        for (const event of events) {
          if (!('args' in event)) continue;
          if ((await blockTime(event.blockNumber)) >= sinceMs) confirmedAlertIds.push(String((event as EventLog).args.getValue('alertId')).toLowerCase());
        }
        return { enterprise, confirmedAlerts: confirmedAlertIds.length, confirmedAlertIds, confirmedTotal: Number(total), blacklisted: listed, credits };
      } catch (error) {
        throw toChainError(error, `cannot read the record of ${enterprise}`);
      }
    },
    async close() {
      provider.destroy();
    },
  };
}
