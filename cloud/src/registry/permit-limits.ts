import { z } from 'zod';
import { POLLUTANTS, POLLUTANT_CODES, idSchema } from '@qingliu/protocol';
import type { PollutantCode } from '@qingliu/protocol';

/**
 * A permitted discharge limit on a pollutant's concentration (or pH), in the pollutant's
 * unit (protocol's POLLUTANTS: mg/L, pH). Limits are set in the discharge permit (the chain
 * holds the permit's yearly load in milligrams, not its concentration limits), so they come
 * from config. One without `outfall` holds at every outfall; one with it overrides it there.
 */
export const permitLimitSchema = z
  .strictObject({
    pollutant: z.enum(POLLUTANT_CODES),
    /** Highest permitted value, in the pollutant's unit. */
    max: z.number().optional(),
    /** Lowest permitted value (pH), in the pollutant's unit. */
    min: z.number().optional(),
    outfall: idSchema.optional(),
    /** Where the limit comes from, shown beside it (e.g. "GB 18918-2002 class 1A"). */
    source: z.string().max(80).optional(),
  })
  .refine((l) => l.max !== undefined || l.min !== undefined, { message: 'a limit needs max or min' });

export type PermitLimit = z.output<typeof permitLimitSchema>;

/**
 * GB 18918-2002 (urban wastewater treatment plants), class 1A: COD 50, NH3-N 5, TN 15,
 * TP 0.5 mg/L, pH 6-9. The demo's limits; a permit states its own.
 */
export const GB18918_CLASS_1A: readonly PermitLimit[] = [
  { pollutant: 'w01018', max: 50, source: 'GB 18918-2002 class 1A' },
  { pollutant: 'w21003', max: 5, source: 'GB 18918-2002 class 1A' },
  { pollutant: 'w21001', max: 15, source: 'GB 18918-2002 class 1A' },
  { pollutant: 'w21011', max: 0.5, source: 'GB 18918-2002 class 1A' },
  { pollutant: 'w01001', min: 6, max: 9, source: 'GB 18918-2002 class 1A' },
];

/** The limits at `outfall`: its own where it has one, else the general one; by pollutant. */
export function limitsAt(limits: readonly PermitLimit[], outfall: string): Map<PollutantCode, PermitLimit> {
  const out = new Map<PollutantCode, PermitLimit>();
  for (const limit of limits) if (limit.outfall === undefined) out.set(limit.pollutant, limit);
  for (const limit of limits) if (limit.outfall === outfall) out.set(limit.pollutant, limit);
  return out;
}

/** How `value` breaks `limit`, in words, or undefined when it keeps to it. */
export function breachOf(limit: PermitLimit, value: number): string | undefined {
  const { name, unit } = POLLUTANTS[limit.pollutant];
  if (limit.max !== undefined && value > limit.max) return `${name} ${value.toFixed(2)} ${unit} above the limit ${limit.max}`;
  if (limit.min !== undefined && value < limit.min) return `${name} ${value.toFixed(2)} ${unit} below the limit ${limit.min}`;
  return undefined;
}
