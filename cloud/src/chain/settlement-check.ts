import { QingliuError } from '@qingliu/protocol';
import type { Settlement } from '../ports/ledger.js';

const MAX_UINT64 = (1n << 64n) - 1n;
const MAX_UINT32 = 2 ** 32 - 1;

/** Refuses, before anything is sent, a settlement the EmissionLedger contract could not take (SCHEMA_INVALID, not retryable). */
export function checkSettlement(settlement: Settlement): void {
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
