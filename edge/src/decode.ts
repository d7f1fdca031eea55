/** Register value types a point may have. */
export const REGISTER_TYPES = ['int16', 'uint16', 'int32', 'uint32', 'float32', 'float64'] as const;
export type RegisterType = (typeof REGISTER_TYPES)[number];

/**
 * Byte orders, naming the bytes of the big-endian value A (most significant)
 * to D: ABCD big-endian words and bytes; CDAB words swapped; BADC bytes
 * swapped within each word; DCBA both (little-endian). For 64-bit values the
 * word swap reverses all four words; 16-bit values only see the byte swap.
 */
export const WORD_ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const;
export type WordOrder = (typeof WORD_ORDERS)[number];

/** How many 16-bit registers each type spans. */
export const REGISTER_WIDTH: Readonly<Record<RegisterType, number>> = {
  int16: 1,
  uint16: 1,
  int32: 2,
  uint32: 2,
  float32: 2,
  float64: 4,
};

export interface DecodablePoint {
  type: RegisterType;
  wordOrder: WordOrder;
  scale: number;
  offset: number;
}

/**
 * The raw number in `registers` (16-bit words as read, first register first)
 * for `type` in `wordOrder`. Throws a RangeError when too few registers are given.
 */
export function decodeRaw(registers: ArrayLike<number>, type: RegisterType, wordOrder: WordOrder): number {
  const width = REGISTER_WIDTH[type];
  if (registers.length < width) {
    throw new RangeError(`${type} needs ${width} registers, got ${registers.length}`);
  }
  const swapWords = wordOrder === 'CDAB' || wordOrder === 'DCBA';
  const swapBytes = wordOrder === 'BADC' || wordOrder === 'DCBA';
  const bytes = Buffer.alloc(width * 2);
  for (let i = 0; i < width; i++) {
    const word = registers[swapWords ? width - 1 - i : i]! & 0xffff;
    bytes.writeUInt16BE(swapBytes ? ((word & 0xff) << 8) | (word >>> 8) : word, i * 2);
  }
  switch (type) {
    case 'int16':
      return bytes.readInt16BE(0);
    case 'uint16':
      return bytes.readUInt16BE(0);
    case 'int32':
      return bytes.readInt32BE(0);
    case 'uint32':
      return bytes.readUInt32BE(0);
    case 'float32':
      return bytes.readFloatBE(0);
    case 'float64':
      return bytes.readDoubleBE(0);
  }
}

/** The engineering value of a point: `raw * scale + offset`. */
export function decodePoint(point: DecodablePoint, registers: ArrayLike<number>): number {
  const raw = decodeRaw(registers, point.type, point.wordOrder);
  // Dividing by 100 gives 739 -> 7.39 exactly where multiplying by 0.01 gives 7.390000000000001.
  const inverse = 1 / point.scale;
  const scaled = Number.isInteger(inverse) ? raw / inverse : raw * point.scale;
  return scaled + point.offset;
}
