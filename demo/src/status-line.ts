import type { CloudStatus } from '@qingliu/cloud';
import { POLLUTANTS } from '@qingliu/protocol';
import type { PollutantCode } from '@qingliu/protocol';

export interface StatusLineInput {
  elapsedS: number;
  readingsPerS: number;
  status: CloudStatus;
}

const kg = (milligrams: bigint): string => (Number(milligrams) / 1e6).toFixed(3);

/** One line: rate, stored, rejected, anchored batches, and each enterprise's balance in kg. */
export function formatStatusLine({ elapsedS, readingsPerS, status }: StatusLineInput): string {
  const rejected = Object.values(status.ingest.rejected).reduce((sum, n) => sum + (n ?? 0), 0);
  const balances = Object.entries(status.balances)
    .map(
      ([enterprise, row]) =>
        `${enterprise} ` +
        Object.entries(row)
          .map(([pollutant, milligrams]) => `${POLLUTANTS[pollutant as PollutantCode].name} ${kg(milligrams ?? 0n)}`)
          .join(' '),
    )
    .join(' | ');
  return (
    `[${elapsedS.toFixed(0).padStart(4)} s] ${readingsPerS.toFixed(1)} readings/s, ` +
    `stored ${status.ingest.stored}, rejected ${rejected}, anchored ${status.batchesSettled} | kg left: ${balances}`
  );
}
