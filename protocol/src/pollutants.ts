/**
 * Pollutant codes from HJ 212-2017 (the national transmission standard for
 * pollution-source online monitoring), with the unit Qingliu carries each in.
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

/** Pollutants whose load (kg) is accounted and charged against credits. */
export const LOAD_POLLUTANTS = POLLUTANT_CODES.filter(
  (code) => POLLUTANTS[code].kind === 'concentration',
);

export function isPollutantCode(value: string): value is PollutantCode {
  return Object.hasOwn(POLLUTANTS, value);
}
