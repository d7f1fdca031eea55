import { REGISTER_WIDTH } from '@qingliu/protocol';
import type { RegisterType, WordOrder } from '@qingliu/protocol';
import { scaleDecimal } from './decimal.js';
import { shortestFloat32 } from './float32.js';

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

/**
 * The engineering value of a point: `raw * scale + offset`, in decimal (decimal.ts). A float32 is taken at float32
 * precision first (`shortestFloat32`: 123.456, not 123.45600128173828): the decimal the analyzer
 * means, which reads back as exactly the float32 it sent.
 */
export function decodePoint(point: DecodablePoint, registers: ArrayLike<number>): number {
  const read = decodeRaw(registers, point.type, point.wordOrder);
  const raw = point.type === 'float32' ? shortestFloat32(read) : read;
  if (point.scale === 1 && point.offset === 0) return raw;
  // In decimal: 739 x 0.01 is 7.39, where binary arithmetic gives 7.390000000000001.
  return scaleDecimal(raw, point.scale, point.offset);
}
