/**
 * Canonical JSON, the byte form Qingliu signs and hashes (see protocol/README.md):
 * object keys sorted by UTF-16 code unit, no whitespace, strings and numbers as
 * `JSON.stringify` writes them (numbers in their shortest round-trip form, as
 * RFC 8785). Non-finite numbers, `undefined` and other non-JSON values are refused.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new TypeError(`canonicalJson: unsupported value of type ${typeof value}`);
}

/** The fields of a reading in canonical (sorted) order. */
interface ReadingFields {
  /** Left out when undefined (a reading of a device's primary instance of a code). */
  channel?: string | undefined;
  device: string;
  enterprise: string;
  flag: string;
  outfall: string;
  pollutant: string;
  seq: number;
  ts: number;
  unit: string;
  value: number;
}

/**
 * `canonicalJson` of a reading's nine fields (ten with a `channel`), written directly: the hot path of
 * signing, verifying and Merkle leaves (a test holds the two equal). Refuses non-finite numbers as
 * `canonicalJson` does. `channel` sorts first; without it the bytes are those of a nine-field reading.
 */
export function canonicalReadingJson(r: ReadingFields): string {
  if (!Number.isFinite(r.value) || !Number.isFinite(r.seq) || !Number.isFinite(r.ts)) {
    throw new TypeError('canonicalJson: non-finite number in a reading');
  }
  // Finite numbers print as JSON.stringify prints them.
  return (
    (r.channel === undefined ? '{' : `{"channel":${quote(r.channel)},`) +
    `"device":${quote(r.device)},"enterprise":${quote(r.enterprise)},"flag":${quote(r.flag)},` +
    `"outfall":${quote(r.outfall)},"pollutant":${quote(r.pollutant)},"seq":${r.seq},` +
    `"ts":${r.ts},"unit":${quote(r.unit)},"value":${r.value}}`
  );
}

/** Printable ASCII but `"` and `\`: what JSON.stringify writes as it is, between quotes. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** `JSON.stringify` of a string; identifiers and units, plain ASCII, skip its escaping pass. */
const quote = (value: string): string => (PLAIN.test(value) ? `"${value}"` : JSON.stringify(value));
