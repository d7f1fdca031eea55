import type { CloudStatus } from '@qingliu/cloud/cloud';
import type { SettledBatch } from '@qingliu/cloud/settlement/settler';
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

const grams = (milligrams: bigint): string => `${(Number(milligrams) / 1000).toFixed(1)} g`;
const short = (hex: string | undefined): string => (hex ? `${hex.slice(0, 10)}…${hex.slice(-6)}` : 'unknown');

/** One line per settled period: when, how many readings, root, transaction, and what each enterprise was charged. */
export function formatSettlementLine(settled: SettledBatch, periodMs: number): string {
  const from = new Date(settled.batch * periodMs).toISOString().slice(11, 19);
  const to = new Date((settled.batch + 1) * periodMs).toISOString().slice(11, 19);
  const charged = new Map<string, string[]>();
  for (const line of settled.loads) {
    const parts = charged.get(line.enterprise) ?? [];
    parts.push(`${POLLUTANTS[line.pollutant].name} ${grams(line.milligrams)}`);
    charged.set(line.enterprise, parts);
  }
  const charges = [...charged].map(([enterprise, parts]) => `${enterprise} ${parts.join(' ')}`).join(' | ');
  return (
    `settled ${from}-${to} UTC: ${settled.readingCount} readings, root ${short(settled.root)}, ` +
    `tx ${short(settled.receipt.txHash)}; charged ${charges}`
  );
}
