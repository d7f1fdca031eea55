/** A number as an exact decimal: `digits` x 10^`exponent`. */
interface Decimal {
  digits: bigint;
  exponent: number;
}

/** The shortest decimal that reads back as `value` (ECMAScript's Number::toString), exactly. */
function toDecimal(value: number): Decimal {
  const [mantissa = '0', exponent = '0'] = String(value).split('e');
  const [whole = '0', fraction = ''] = mantissa.split('.');
  return { digits: BigInt(whole + fraction), exponent: Number(exponent) - fraction.length };
}

function align(a: Decimal, exponent: number): bigint {
  return a.digits * 10n ** BigInt(a.exponent - exponent);
}

/**
 * `raw * scale + offset` worked out in decimal on the numbers as written (their shortest decimals)
 * and rounded once, to the nearest double: 739 x 0.01 = 7.39 and 123.456 x 0.1 = 12.3456, where
 * binary arithmetic gives 7.390000000000001 and 12.345600000000001.
 */
export function scaleDecimal(raw: number, scale: number, offset: number): number {
  if (!Number.isFinite(raw)) return raw * scale + offset;
  const r = toDecimal(raw);
  const s = toDecimal(scale);
  const product: Decimal = { digits: r.digits * s.digits, exponent: r.exponent + s.exponent };
  const o = toDecimal(offset);
  const exponent = Math.min(product.exponent, o.exponent);
  const sum = align(product, exponent) + align(o, exponent);
  // Zero keeps the sign binary arithmetic gives it (-0 x 1 + -0 is -0).
  if (sum === 0n) return Object.is(raw * scale + offset, -0) ? -0 : 0;
  return Number(`${sum}e${exponent}`);
}
