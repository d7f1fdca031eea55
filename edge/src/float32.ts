/** Significant digits that always suffice to write a float32 so that it reads back unchanged. */
const FLOAT32_DIGITS = 9;

/**
 * A float32 at float32 precision: the shortest decimal (nearest at that many significant digits)
 * that reads back as the same float32, e.g. 123.456 for the float32 whose exact value is
 * 123.45600128173828. Nothing is lost: `Math.fround` of the result is the value the analyzer sent.
 * Non-finite values and zeros are given back as they are.
 */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const single = Math.fround(value);
  for (let digits = 1; digits < FLOAT32_DIGITS; digits += 1) {
    const decimal = Number(single.toPrecision(digits));
    if (Math.fround(decimal) === single) return decimal;
  }
  return Number(single.toPrecision(FLOAT32_DIGITS));
}
