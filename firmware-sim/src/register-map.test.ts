import { REGISTER_WIDTH } from '@qingliu/protocol';
import { LAYOUTS, LAYOUT_NAMES, describePoints, encodePoint, registerImage } from './register-map.js';
import type { RegisterPoint } from './register-map.js';

const float32 = (wordOrder: RegisterPoint['wordOrder']): RegisterPoint => ({
  pollutant: 'w00000',
  functionCode: 4,
  address: 0,
  type: 'float32',
  wordOrder,
  scale: 1,
  offset: 0,
  unit: 'm3/h',
});

describe('register map', () => {
  it.each([
    ['ABCD', [0x42f6, 0xe979]],
    ['CDAB', [0xe979, 0x42f6]],
    ['BADC', [0xf642, 0x79e9]],
    ['DCBA', [0x79e9, 0xf642]],
  ] as const)('writes a float32 in %s order', (order, words) => {
    expect(encodePoint(float32(order), 123.456)).toEqual(words);
  });

  it('writes a float64 in DCBA order as the reversed little-endian words', () => {
    const point: RegisterPoint = { ...float32('DCBA'), type: 'float64' };
    expect(encodePoint(point, -1234.5678)).toEqual([0xadfa, 0x5c6d, 0x454a, 0x93c0]);
  });

  it('writes scaled integers rounded and clamped to their type', () => {
    const ph: RegisterPoint = { ...float32('ABCD'), pollutant: 'w01001', functionCode: 3, type: 'int16', scale: 0.01, unit: 'pH' };
    expect(encodePoint(ph, 7.386)).toEqual([739]);
    expect(encodePoint(ph, -1.5)).toEqual([0x10000 - 150]);
    expect(encodePoint(ph, 1e6)).toEqual([0x7fff]);
    expect(encodePoint({ ...ph, type: 'uint16' }, -3)).toEqual([0]);
    expect(encodePoint({ ...ph, type: 'int32', wordOrder: 'BADC', scale: 0.0001 }, 0.2289)).toEqual([0x0000, 0xf108]);
  });

  it.each(LAYOUT_NAMES.map((n) => [n]))('%s has flow, COD, NH3-N and pH, float32 in FC 4 and integers in FC 3', (name) => {
    const points = describePoints(name);
    for (const code of ['w00000', 'w01018', 'w21003', 'w01001']) {
      expect(points.some((p) => p.pollutant === code)).toBe(true);
    }
    expect(points.some((p) => p.functionCode === 4 && p.type === 'float32')).toBe(true);
    expect(points.some((p) => p.functionCode === 3 && p.type === 'int16' && p.scale === 0.01)).toBe(true);
  });

  it.each(LAYOUT_NAMES.map((n) => [n]))('%s has no two points sharing a register', (name) => {
    const used = new Set<string>();
    for (const p of LAYOUTS[name].points) {
      for (let i = 0; i < REGISTER_WIDTH[p.type]; i++) {
        const key = `${p.functionCode}:${p.address + i}`;
        expect(used.has(key)).toBe(false);
        used.add(key);
      }
    }
  });

  it('covers all four word orders across the layouts', () => {
    const orders = new Set(LAYOUT_NAMES.flatMap((n) => LAYOUTS[n].points.filter((p) => p.type !== 'int16').map((p) => p.wordOrder)));
    expect([...orders].sort()).toEqual(['ABCD', 'BADC', 'CDAB', 'DCBA']);
  });

  it('describes points as copies in the edge config shape', () => {
    const points = describePoints('abcd-compact');
    expect(Object.keys(points[0]!).sort()).toEqual(
      ['address', 'functionCode', 'offset', 'pollutant', 'scale', 'type', 'unit', 'wordOrder'].sort(),
    );
    points[0]!.address = 999;
    expect(LAYOUTS['abcd-compact'].points[0]!.address).toBe(0);
  });

  it('builds a register image only for the requested function code', () => {
    const image = registerImage(LAYOUTS['abcd-compact'], 3, { w21003: 3.85, w01001: 7.39, w00000: 100 });
    expect([...image.entries()]).toEqual([
      [0, 385],
      [1, 739],
    ]);
  });
});
