/** Query parameters the range routes share: times, window lengths, and how many windows a range may hold. */
import { QingliuError } from '@qingliu/protocol';

/** Most windows one range may be cut into (GET /api/v1/readings?every=, GET /api/v1/loads). */
export const MAX_WINDOWS = 10_000;

/** A window length as the routes accept it: a whole number from 1 and a unit, e.g. `500ms`, `30s`, `15m`, `1h`, `1d`. */
export const EVERY_PATTERN = '^0*[1-9][0-9]*(ms|s|m|h|d)$';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A bad query parameter: INPUT_INVALID (a 400) whose message names it. */
const badRequest = (message: string): QingliuError => new QingliuError('INPUT_INVALID', message);

/** `from`, `to`, `ts`: ISO 8601, or milliseconds since the epoch. */
export function parseTime(name: string, value: string): number {
  const ms = /^[0-9]+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) throw badRequest(`${name}: expected an ISO 8601 time or milliseconds, got "${value}"`);
  return ms;
}

/** `every`, in milliseconds: at least 1 ms (a window of 0 would never end). */
export function parseEvery(every: string): number {
  const match = new RegExp(EVERY_PATTERN).exec(every);
  const ms = match ? Number(every.slice(0, -match[1]!.length)) * UNIT_MS[match[1] as keyof typeof UNIT_MS] : Number.NaN;
  if (!(ms >= 1) || !Number.isSafeInteger(ms)) throw badRequest(`every: expected a window of 1 ms or more, e.g. 30s, 15m, 1h; got "${every}"`);
  return ms;
}

/** Refuses a range whose end is not after its start. */
export function checkRange(fromMs: number, toMs: number): void {
  if (toMs <= fromMs) throw badRequest('to: must be after from');
}

/** Refuses a range cut into more than `MAX_WINDOWS` windows of `everyMs`. */
export function checkWindowCount(fromMs: number, toMs: number, everyMs: number): void {
  if ((toMs - fromMs) / everyMs > MAX_WINDOWS) {
    throw badRequest(`every: more than ${MAX_WINDOWS.toLocaleString('en')} windows in the range: widen every or narrow the range`);
  }
}
