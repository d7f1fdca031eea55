import { HJ212_CODES, HJ212_WATER_CODES, hj212CodeProblem, isHj212Code } from './hj212-codes.js';
import { POLLUTANTS, POLLUTANT_CODES } from './pollutants.js';
import { readingSchema } from './reading.js';

const base = { enterprise: 'ent-a', outfall: 'out-1', device: 'dev-1', value: 1, unit: 'm3', ts: 1, seq: 1, flag: 'N' };

describe('HJ 212-2017 water codes', () => {
  it('lists every code as w and five digits, the six accounted ones first and with the units they had', () => {
    for (const code of HJ212_CODES) expect(code).toMatch(/^w\d{5}$/);
    expect(new Set(HJ212_CODES).size).toBe(Object.keys(HJ212_WATER_CODES).length);
    expect(HJ212_CODES.slice(0, POLLUTANT_CODES.length)).toEqual(POLLUTANT_CODES);
    for (const code of POLLUTANT_CODES) {
      expect(HJ212_WATER_CODES[code]).toMatchObject({ name: POLLUTANTS[code].name, unit: POLLUTANTS[code].unit, inTable: true });
    }
  });

  it('has the cumulative flow (w00001) as a logger convention, outside table B.1', () => {
    expect(HJ212_WATER_CODES.w00001).toEqual({ name: 'cumulative flow', nameZh: '累计流量', unit: 'm3', inTable: false });
    expect(HJ212_WATER_CODES.w01019).toMatchObject({ name: 'permanganate index', unit: 'mg/L', inTable: true });
  });

  it('says why a code is refused: malformed, or well formed but not in the table', () => {
    expect(isHj212Code('w00001')).toBe(true);
    expect(hj212CodeProblem('w01018')).toBeUndefined();
    expect(hj212CodeProblem('COD')).toMatch(/"COD" is not an HJ 212 water code \(w and five digits/);
    expect(hj212CodeProblem('a21026')).toMatch(/not an HJ 212 water code/);
    expect(hj212CodeProblem('w12345')).toMatch(/w12345 is not in the HJ 212-2017 water code table/);
    expect(isHj212Code('toString')).toBe(false);
  });

  it('lets a reading carry any code of the table, and no other', () => {
    expect(readingSchema.safeParse({ ...base, pollutant: 'w00001' }).success).toBe(true);
    expect(readingSchema.safeParse({ ...base, pollutant: 'w20111', unit: 'ug/L' }).success).toBe(true);
    expect(readingSchema.safeParse({ ...base, pollutant: 'w12345' }).success).toBe(false);
    expect(readingSchema.safeParse({ ...base, pollutant: 'w0001' }).success).toBe(false);
  });
});
