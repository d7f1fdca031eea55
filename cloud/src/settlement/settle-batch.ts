import { buildReadingTree } from '@qingliu/protocol';
import type { PollutantCode } from '@qingliu/protocol';
import { computeLoads } from '../accounting/load.js';
import type { LoadLine } from '../accounting/load.js';
import type { Ledger, SettlementReceipt } from '../ports/ledger.js';
import type { ReadingStore } from '../ports/reading-store.js';
import type { DeviceRegistry } from '../registry/device-registry.js';

export interface SettledBatch {
  batch: number;
  root: string;
  readingCount: number;
  loads: LoadLine[];
  receipt: SettlementReceipt;
}

export interface SettleBatchParameters {
  store: Pick<ReadingStore, 'readBatch' | 'sealBatch'>;
  ledger: Pick<Ledger, 'settle'>;
  registry: Pick<DeviceRegistry, 'get'>;
  /** Pollutants charged against credits; the loads of others are computed but not charged. */
  chargedPollutants: readonly PollutantCode[];
}

/**
 * Charges and anchors one closed batch: reads it back from the store (the store is the record),
 * computes each enterprise's load and the Merkle root of its readings (protocol/README.md),
 * seals the readings in the batch, and settles it on the ledger (once per batch id: a retry
 * after an unknown outcome cannot charge twice). Undefined for a batch with no readings.
 */
export async function settleBatch(params: SettleBatchParameters, batch: number): Promise<SettledBatch | undefined> {
  const { store, ledger, registry } = params;
  const readings = await store.readBatch(batch);
  if (readings.length === 0) return undefined;
  const loads = computeLoads({
    readings,
    sampleIntervalMs: (device) => registry.get(device)?.sampleIntervalMs ?? 0,
  }).filter((line) => params.chargedPollutants.includes(line.pollutant));
  const { root } = buildReadingTree(readings);
  // Sealed before it is charged: a copy of one of these readings written later, naming a later
  // batch, leaves it here, so no reading is charged in two batches. A retry reads and seals the same set.
  await store.sealBatch(batch, readings);
  const receipt = await ledger.settle({
    batchId: BigInt(batch),
    root,
    readingCount: readings.length,
    loads: loads.map(({ enterprise, pollutant, milligrams }) => ({ enterprise, pollutant, milligrams })),
  });
  return { batch, root, readingCount: readings.length, loads, receipt };
}
