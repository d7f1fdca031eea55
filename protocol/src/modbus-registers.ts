/**
 * How a value sits in Modbus registers: what the edge agent decodes and what
 * an analyzer (or firmware-sim standing in for one) encodes.
 */

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
