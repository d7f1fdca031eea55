// The traceability panel's CSVs, as the trace CLI reads them (analytics/src/cli/trace.ts): the river
// station's (`ts,<pollutant>...[,flow]`) and the outfalls' (`ts,outfall,flow,<pollutant>...[,distance_km]`).
import { POLLUTANTS } from './common.js';

/** Concentration pollutants: what a station's event can be traced by. */
const TRACEABLE = Object.keys(POLLUTANTS).filter((code) => POLLUTANTS[code].kind === 'concentration');
const squash = (name) => name.toLowerCase().replace(/[^a-z0-9]/g, '');
/** The pollutant code a CSV column names (`cod`, `COD`, `nh3n`, `NH3-N`, `w21003`), or undefined. */
const codeOfColumn = (name) => TRACEABLE.find((code) => squash(code) === squash(name) || squash(POLLUTANTS[code].name) === squash(name));

/** A CSV's header (lower case) and rows of cells. */
function parseCsv(text, what) {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2) throw new Error(`${what}: no rows`);
  return { header: lines[0].split(',').map((h) => h.trim().toLowerCase()), rows: lines.slice(1).map((l) => l.split(',')), what };
}
/** Digits are ms since the epoch; anything else is read as a date (ISO 8601). */
function cellTime(csv, cell, line) {
  const t = (cell ?? '').trim();
  const ms = /^-?\d+$/.test(t) ? Number(t) : Date.parse(t);
  if (!Number.isFinite(ms)) throw new Error(`${csv.what} line ${line}: bad ts "${t}"`);
  return ms;
}
function cellValue(csv, cell, line, column) {
  const t = (cell ?? '').trim();
  if (t === '' || /^(NA|NaN)$/i.test(t)) return null;
  const v = Number(t);
  if (!Number.isFinite(v)) throw new Error(`${csv.what} line ${line}: ${column} is not a number: "${t}"`);
  return v;
}

/** The station CSV (`ts,<pollutant>...[,flow]`): times, the pollutant columns by code, the river flow. */
export function parseStationCsv(text) {
  const csv = parseCsv(text, 'station CSV');
  const tsCol = csv.header.indexOf('ts');
  if (tsCol < 0) throw new Error(`station CSV: the header needs a ts column, got "${csv.header.join(',')}"`);
  const rows = csv.rows.map((cells, n) => ({ ts: cellTime(csv, cells[tsCol], n + 2), cells, line: n + 2 })).sort((a, b) => a.ts - b.ts);
  const column = (c) => rows.map((r) => cellValue(csv, r.cells[c], r.line, csv.header[c]));
  const pollutants = {};
  csv.header.forEach((name, c) => {
    const code = codeOfColumn(name);
    if (code) pollutants[code] = column(c);
  });
  if (Object.keys(pollutants).length === 0) throw new Error(`station CSV: no pollutant column (cod, nh3n, tp or tn) in "${csv.header.join(',')}"`);
  const flowCol = csv.header.indexOf('flow');
  return { ts: rows.map((r) => r.ts), pollutants, ...(flowCol >= 0 ? { riverFlow: column(flowCol) } : {}) };
}

/** The outfall CSV (`ts,outfall,flow,<pollutant>...[,distance_km]`): a series per outfall, in order of first appearance. */
export function parseOutfallCsv(text) {
  const csv = parseCsv(text, 'outfall CSV');
  const at = (name) => csv.header.indexOf(name);
  if (at('ts') < 0 || at('outfall') < 0 || at('flow') < 0) throw new Error(`outfall CSV: the header needs ts, outfall and flow columns, got "${csv.header.join(',')}"`);
  const byOutfall = new Map();
  csv.rows.forEach((cells, n) => {
    const id = (cells[at('outfall')] ?? '').trim();
    if (id === '') throw new Error(`outfall CSV line ${n + 2}: empty outfall`);
    if (!byOutfall.has(id)) byOutfall.set(id, []);
    byOutfall.get(id).push({ ts: cellTime(csv, cells[at('ts')], n + 2), cells, line: n + 2 });
  });
  return [...byOutfall].map(([outfall, rows]) => {
    rows.sort((a, b) => a.ts - b.ts);
    const column = (c) => rows.map((r) => cellValue(csv, r.cells[c], r.line, csv.header[c]));
    const pollutants = {};
    csv.header.forEach((name, c) => {
      const code = codeOfColumn(name);
      if (code) pollutants[code] = column(c);
    });
    const distance = at('distance_km') < 0 ? undefined : column(at('distance_km')).find((v) => v !== null);
    return { outfall, ts: rows.map((r) => r.ts), flow: column(at('flow')), pollutants, distanceKm: distance ?? undefined };
  });
}
