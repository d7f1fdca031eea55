import { gzipSync } from 'node:zlib';
import { geccoToTables } from './gecco-adapter.js';
import { parseLabelsCsv } from './labels.js';
import { parseReadingsCsv } from '../series/readings-csv.js';

// A miniature of the GECCO file around the 2016-10-30 change to winter time.
const FILE = [
  '"","Time","Tp","Cl","pH","Redox","Leit","Trueb","Cl_2","Fm","Fm_2","EVENT"',
  '"1",2016-10-30 02:58:00,10.7,0.16,8.38,749,210,0.017,0.094,1327,939,TRUE',
  '"2",2016-10-30 02:59:00,10.7,0.16,8.38,748,210,0.018,0.094,1372,939,TRUE',
  '"3",2016-10-30 02:00:00,NA,NA,NA,NA,NA,NA,NA,NA,NA,FALSE',
  '"4",2016-10-30 02:01:00,10.6,0.16,8.37,748,210,0.017,0.094,1303,938,TRUE',
  '',
].join('\n');

describe('geccoToTables', () => {
  const t = geccoToTables(gzipSync(FILE));

  it('converts German summer and winter time to UTC, switching when the clock goes back', () => {
    const table = parseReadingsCsv(t.readingsCsv);
    expect(table.rows.map((r) => new Date(r.ts).toISOString())).toEqual([
      '2016-10-30T00:58:00.000Z',
      '2016-10-30T00:59:00.000Z',
      '2016-10-30T01:00:00.000Z',
      '2016-10-30T01:01:00.000Z',
    ]);
  });

  it('renames Tp to temp (not total phosphorus) and keeps NA as missing', () => {
    const table = parseReadingsCsv(t.readingsCsv);
    expect(table.channels).toEqual(['temp', 'cl', 'ph', 'redox', 'leit', 'trueb', 'cl_2', 'fm', 'fm_2']);
    expect(table.rows[2]!.values.every((v) => Number.isNaN(v))).toBe(true);
  });

  it('makes one label per run of EVENT rows, ending a minute after its last row', () => {
    expect(t).toMatchObject({ rows: 4, eventRows: 3 });
    expect(parseLabelsCsv(t.labelsCsv).map((l) => [new Date(l.start).toISOString(), new Date(l.end).toISOString()])).toEqual([
      ['2016-10-30T00:58:00.000Z', '2016-10-30T01:00:00.000Z'],
      ['2016-10-30T01:01:00.000Z', '2016-10-30T01:02:00.000Z'],
    ]);
  });
});
