import { Contract, JsonRpcProvider, Network } from 'ethers';
import type { EventLog } from 'ethers';
import { EMISSION_LEDGER_ABI, enterpriseKey, pollutantKey } from '@qingliu/contracts';
import type { PollutantCode } from '@qingliu/protocol';
import { loadKey } from '../pipeline-checks.js';
import type { LoadTotals } from '../pipeline-checks.js';

/** What the chain says happened, read from EmissionLedger's events alone. */
export interface ChainRecord {
  /** batch -> its BatchSettled event (root, reading count); the first one if there were several. */
  anchored: Map<number, { root: string; readingCount: number }>;
  /** batch -> how many BatchSettled events it has (more than one would be a double settlement). */
  settlements: Map<number, number>;
  /** batch -> `enterprise/pollutant` -> milligrams deducted. */
  charged: Map<number, LoadTotals>;
  /** Deductions of one (batch, enterprise, pollutant) beyond the first. */
  doubleDeductions: number;
}

export interface ChainView {
  read(): Promise<ChainRecord>;
  balanceOf(enterprise: string, pollutant: PollutantCode): Promise<bigint>;
  close(): void;
}

/** A read-only view of the ledger over JSON-RPC, independent of the ingester's own ledger client. */
export function chainView(params: {
  rpcUrl: string;
  chainId: number;
  address: string;
  fromBlock: number;
  enterprises: readonly string[];
  pollutants: readonly PollutantCode[];
}): ChainView {
  const network = Network.from(params.chainId);
  const provider = new JsonRpcProvider(params.rpcUrl, network, { staticNetwork: network, cacheTimeout: -1, batchMaxCount: 1 });
  const contract = new Contract(params.address, EMISSION_LEDGER_ABI, provider);
  const enterpriseOf = new Map(params.enterprises.map((e) => [enterpriseKey(e).toLowerCase(), e]));
  const pollutantOf = new Map(params.pollutants.map((p) => [pollutantKey(p).toLowerCase(), p]));
  const events = async (name: string): Promise<EventLog[]> =>
    (await contract.queryFilter(contract.getEvent(name), params.fromBlock, 'latest')).filter((e): e is EventLog => 'args' in e);

  return {
    async read() {
      const record: ChainRecord = { anchored: new Map(), settlements: new Map(), charged: new Map(), doubleDeductions: 0 };
      for (const event of await events('BatchSettled')) {
        const batch = Number(event.args.getValue('batchId') as bigint);
        record.settlements.set(batch, (record.settlements.get(batch) ?? 0) + 1);
        if (!record.anchored.has(batch)) {
          record.anchored.set(batch, {
            root: String(event.args.getValue('root')),
            readingCount: Number(event.args.getValue('readingCount') as bigint),
          });
        }
      }
      const seen = new Set<string>();
      for (const event of await events('LoadDeducted')) {
        const batch = Number(event.args.getValue('batchId') as bigint);
        const enterprise = enterpriseOf.get(String(event.args.getValue('enterprise')).toLowerCase()) ?? String(event.args.getValue('enterprise'));
        const pollutant = (pollutantOf.get(String(event.args.getValue('pollutant')).toLowerCase()) ?? String(event.args.getValue('pollutant'))) as PollutantCode;
        const key = loadKey(enterprise, pollutant);
        if (seen.has(`${batch}/${key}`)) record.doubleDeductions += 1;
        seen.add(`${batch}/${key}`);
        const loads = record.charged.get(batch) ?? new Map<string, bigint>();
        loads.set(key, (loads.get(key) ?? 0n) + (event.args.getValue('milligrams') as bigint));
        record.charged.set(batch, loads);
      }
      return record;
    },
    async balanceOf(enterprise, pollutant) {
      return (await contract.getFunction('balanceOf').staticCall(enterpriseKey(enterprise), pollutantKey(pollutant))) as bigint;
    },
    close: () => provider.destroy(),
  };
}
