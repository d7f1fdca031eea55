import type { QualityFlag } from '@qingliu/protocol';
import type { StatusRegisterConfig } from './config.js';

/** The flags a status word raises. */
export function flagsOfWord(status: StatusRegisterConfig, word: number, into: Set<QualityFlag>): void {
  const has = (bit: number | undefined): boolean => bit !== undefined && (word & (1 << bit)) !== 0;
  if (has(status.faultBit)) into.add('D');
  if (has(status.maintenanceBit)) into.add('M');
  if (has(status.calibrationBit)) into.add('C');
}

/** The flag of a poll: fault wins, then maintenance, then calibration. */
export function flagOf(raised: ReadonlySet<QualityFlag>): QualityFlag {
  for (const flag of ['D', 'M', 'C'] as const) if (raised.has(flag)) return flag;
  return 'N';
}
