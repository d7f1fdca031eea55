/**
 * Unit conversion for load accounting. Analyzers and data loggers report in
 * different units (HJ 212 loggers give flow in L/s, many meters m3/h), so
 * every value is converted explicitly; a unit not listed here is never
 * guessed: the sample is left out and counted.
 */

/** Factor to m3/h. */
export const FLOW_TO_M3_PER_H: Readonly<Record<string, number>> = {
  'm3/h': 1,
  'L/s': 3.6,
  'l/s': 3.6,
  'm3/s': 3600,
  'm3/min': 60,
  'L/min': 0.06,
  'm3/d': 1 / 24,
};

/** Factor to mg/L (1 g/m3 = 1 mg/L). */
export const CONCENTRATION_TO_MG_PER_L: Readonly<Record<string, number>> = {
  'mg/L': 1,
  'mg/l': 1,
  'g/m3': 1,
  'ug/L': 0.001,
  'µg/L': 0.001,
  'g/L': 1000,
};

/** The value in m3/h, or undefined for a unit not known. */
export function flowInM3PerHour(value: number, unit: string): number | undefined {
  const factor = FLOW_TO_M3_PER_H[unit];
  return factor === undefined ? undefined : value * factor;
}

/** The value in mg/L, or undefined for a unit not known. */
export function concentrationInMgPerL(value: number, unit: string): number | undefined {
  const factor = CONCENTRATION_TO_MG_PER_L[unit];
  return factor === undefined ? undefined : value * factor;
}
