import type { AbuseRow } from './abuse.js';
import type { FaultRow } from './audit.js';
import { rowFails } from './audit.js';

const seconds = (ms: number | undefined): string => (ms === undefined ? 'NOT' : (ms / 1000).toFixed(1));
/** Milligrams as credits (1 credit = 1 kg), to the milligram. */
const credits = (mg: bigint): string => {
  const sign = mg < 0n ? '-' : '';
  const abs = mg < 0n ? -mg : mg;
  return `${sign}${abs / 1_000_000n}.${String(abs % 1_000_000n).padStart(6, '0')}`;
};

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** One row per fault: readings produced, stored, lost, duplicated; credits expected, charged; time to recover. */
export function formatFaultTable(rows: readonly FaultRow[]): string {
  return table(
    ['fault', 'produced', 'stored', 'lost', 'dup', 'extra', 'refused@edge', 'batches', 'credits expected', 'credits charged', 'bad roots', 'unsettled', 'charged 2x', 'stored after s', 'settled after s', 'crashes', 'verdict'],
    rows.map((r) => [
      r.fault,
      String(r.produced),
      String(r.stored),
      String(r.lost),
      String(r.duplicated),
      String(r.unexpected),
      String(r.refusedAtEdge),
      String(r.batches),
      credits(r.expectedMg),
      credits(r.chargedMg),
      String(r.rootMismatches),
      String(r.missingBatches),
      String(r.doubleCharged),
      seconds(r.storedAfterMs),
      seconds(r.settledAfterMs),
      String(r.crashes.length),
      rowFails(r) ? 'FAIL' : 'ok',
    ]),
  );
}

export function formatAbuseTable(rows: readonly AbuseRow[]): string {
  return table(
    ['abuse', 'sent', 'refused as', 'counted', 'logged', 'verdict'],
    rows.map((r) => [r.attack, String(r.sent), r.reason, String(r.counted), String(r.logged), r.ok ? 'ok' : 'FAIL']),
  );
}

/** Notes and failures under the tables: what each fault did and anything that went wrong. */
export function formatNotes(rows: readonly FaultRow[]): string {
  return rows
    .flatMap((r) => [...r.notes, ...r.problems.map((p) => `PROBLEM: ${p}`), ...r.crashes.map((c) => `CRASH: ${c}`)].map((n) => `- ${r.fault}: ${n}`))
    .join('\n');
}
