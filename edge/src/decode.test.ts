import { REGISTER_TYPES, WORD_ORDERS } from '@qingliu/protocol';
import type { RegisterType, WordOrder } from '@qingliu/protocol';
import { decodePoint, decodeRaw } from './decode.js';

/**
 * Golden registers: one value per type whose bytes all differ, written out in
 * every byte order (computed independently with Python's struct module).
 */
const GOLDEN: Record<RegisterType, { value: number; words: Record<WordOrder, number[]> }> = {
  int16: {
    value: -292,
    words: { ABCD: [0xfedc], CDAB: [0xfedc], BADC: [0xdcfe], DCBA: [0xdcfe] },
  },
  uint16: {
    value: 65244,
    words: { ABCD: [0xfedc], CDAB: [0xfedc], BADC: [0xdcfe], DCBA: [0xdcfe] },
  },
  int32: {
    value: -2128394905,
    words: { ABCD: [0x8123, 0x4567], CDAB: [0x4567, 0x8123], BADC: [0x2381, 0x6745], DCBA: [0x6745, 0x2381] },
  },
  uint32: {
    value: 2166572391,
    words: { ABCD: [0x8123, 0x4567], CDAB: [0x4567, 0x8123], BADC: [0x2381, 0x6745], DCBA: [0x6745, 0x2381] },
  },
  float32: {
    value: Math.fround(123.456),
    words: { ABCD: [0x42f6, 0xe979], CDAB: [0xe979, 0x42f6], BADC: [0xf642, 0x79e9], DCBA: [0x79e9, 0xf642] },
  },
  float64: {
    value: -1234.5678,
    words: {
      ABCD: [0xc093, 0x4a45, 0x6d5c, 0xfaad],
      CDAB: [0xfaad, 0x6d5c, 0x4a45, 0xc093],
      BADC: [0x93c0, 0x454a, 0x5c6d, 0xadfa],
      DCBA: [0xadfa, 0x5c6d, 0x454a, 0x93c0],
    },
  },
};

describe('decodeRaw', () => {
  const cases = REGISTER_TYPES.flatMap((type) => WORD_ORDERS.map((order) => [type, order] as const));

  it.each(cases)('reads a %s in %s order', (type, order) => {
    const { value, words } = GOLDEN[type];
    expect(decodeRaw(words[order], type, order)).toBe(value);
  });

  it('reads only the registers its type spans, ignoring the rest of a longer answer', () => {
    expect(decodeRaw([0x42f6, 0xe979, 0xffff, 0xffff], 'float32', 'ABCD')).toBe(Math.fround(123.456));
  });

  it('throws when the answer is too short for the type', () => {
    expect(() => decodeRaw([0x42f6], 'float32', 'ABCD')).toThrow(RangeError);
  });
});

describe('decodePoint', () => {
  it('applies scale and then offset', () => {
    expect(decodePoint({ type: 'int16', wordOrder: 'ABCD', scale: 0.5, offset: 10 }, [100])).toBe(60);
  });

  it('gives exact decimals for decimal scales (739 x 0.01 = 7.39)', () => {
    expect(decodePoint({ type: 'int16', wordOrder: 'ABCD', scale: 0.01, offset: 0 }, [739])).toBe(7.39);
    expect(decodePoint({ type: 'uint16', wordOrder: 'ABCD', scale: 0.001, offset: 0 }, [145])).toBe(0.145);
  });

  it('scales negative integers', () => {
    expect(decodePoint({ type: 'int16', wordOrder: 'ABCD', scale: 0.1, offset: 0 }, [0xfffe])).toBe(-0.2);
  });

  it('gives a float32 at float32 precision (123.456, not 123.45600128173828): the same float32, written short', () => {
    const value = decodePoint({ type: 'float32', wordOrder: 'CDAB', scale: 1, offset: 0 }, [0xe979, 0x42f6]);
    expect(value).toBe(123.456);
    expect(String(value)).toBe('123.456');
    expect(Math.fround(value)).toBe(decodeRaw([0x42f6, 0xe979], 'float32', 'ABCD'));
  });

  it('scales a float32 from its float32-precision value', () => {
    expect(decodePoint({ type: 'float32', wordOrder: 'ABCD', scale: 0.1, offset: 0 }, [0x42f6, 0xe979])).toBe(12.3456);
  });

  it('keeps float64 values as read', () => {
    expect(decodePoint({ type: 'float64', wordOrder: 'ABCD', scale: 1, offset: 0 }, [0xc093, 0x4a45, 0x6d5c, 0xfaad])).toBe(-1234.5678);
  });
});
