/**
 * The six pollutant codes from HJ 212-2017 (the national transmission standard for
 * pollution-source online monitoring) that Qingliu accounts and analyses, with the unit it
 * carries each in. A reading may carry any water code of the standard (hj212-codes.ts).
 */
export const POLLUTANTS = {
  w00000: { name: 'flow', unit: 'm3/h', kind: 'flow' },
  w01018: { name: 'COD', unit: 'mg/L', kind: 'concentration' },
  w21003: { name: 'NH3-N', unit: 'mg/L', kind: 'concentration' },
  w01001: { name: 'pH', unit: 'pH', kind: 'index' },
  w21011: { name: 'TP', unit: 'mg/L', kind: 'concentration' },
  w21001: { name: 'TN', unit: 'mg/L', kind: 'concentration' },
} as const;

export type PollutantCode = keyof typeof POLLUTANTS;

export const POLLUTANT_CODES = Object.keys(POLLUTANTS) as PollutantCode[];

export const FLOW_CODE = 'w00000' satisfies PollutantCode;

/**
 * Pollutants whose load (kg) is accounted and charged against credits. Only a device's primary
 * instance of a code (a reading without `channel`) is accounted; every other water code a reading
 * may carry (hj212-codes.ts) is stored and shown, never charged.
 */
export const LOAD_POLLUTANTS = POLLUTANT_CODES.filter(
  (code) => POLLUTANTS[code].kind === 'concentration',
);

export function isLoadPollutant(code: string): code is PollutantCode {
  return (LOAD_POLLUTANTS as readonly string[]).includes(code);
}

export function isPollutantCode(value: string): value is PollutantCode {
  return Object.hasOwn(POLLUTANTS, value);
}
