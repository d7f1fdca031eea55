import { alertToJsonLine, parseEventsJsonl, parseLabelsCsv } from '../scoring/labels.js';
import { parseReadingsCsv, splitForFit } from './readings-csv.js';

const CSV = `ts,outfall,flow,cod,nh3n,ph,tp
2024-05-31T00:00:00Z,a,100,50,4,7.2,0.2
2024-05-31T00:00:00Z,b,90,40,3,7.1,
1717113660000,a,101,51,4.1,7.3,NA
2024-05-31T00:01:00Z,b,91,41,3.1,7.0,0.3
`;

describe('readings CSV', () => {
  it('reads ISO and millisecond times, and empty or NA values as missing', () => {
    const t = parseReadingsCsv(CSV);
    expect(t.channels).toEqual(['flow', 'cod', 'nh3n', 'ph', 'tp']);
    expect(t.rows[2]).toEqual({ ts: Date.parse('2024-05-31T00:01:00Z'), outfall: 'a', values: [101, 51, 4.1, 7.3, Number.NaN] });
    expect(t.rows[1]!.values[4]).toBeNaN();
  });

  it('splits by file order: the leading fraction fits, the rest is detected on, one series per outfall', () => {
    const { train, test, cut } = splitForFit(parseReadingsCsv(CSV), 0.5);
    expect(cut).toBe(2);
    expect(train.map((s) => [s.outfall, s.ts.length])).toEqual([['a', 1], ['b', 1]]);
    expect(test.map((s) => s.outfall)).toEqual(['a', 'b']);
    expect(test[1]!.channels['cod']).toEqual([41]);
  });

  it('names the line and column of bad input', () => {
    expect(() => parseReadingsCsv('time,outfall,flow\n')).toThrow(/ts and outfall/);
    expect(() => parseReadingsCsv('ts,outfall,flow\nyesterday,a,1\n')).toThrow(/line 2: bad ts/);
    expect(() => parseReadingsCsv('ts,outfall,flow\n0,a,1\n1,a,lots\n')).toThrow(/line 3: flow is not a number/);
    expect(() => splitForFit(parseReadingsCsv(CSV), 1)).toThrow(expect.objectContaining({ code: 'BAD_OPTION' }));
  });
});

describe('labels and events', () => {
  it('reads firmware-sim labels', () => {
    expect(parseLabelsCsv('outfall,kind,start,end\nent-a-dw001,bypass-dump,2024-05-31T18:00:00.000Z,2024-05-31T18:40:00.000Z\n')).toEqual([
      { outfall: 'ent-a-dw001', kind: 'bypass-dump', start: Date.parse('2024-05-31T18:00:00Z'), end: Date.parse('2024-05-31T18:40:00Z') },
    ]);
    expect(() => parseLabelsCsv('outfall,kind,start,end\na,x,2024-05-31T18:40:00Z,2024-05-31T18:00:00Z\n')).toThrow(/line 2/);
  });

  it('writes alerts as the issue JSON lines and reads them back', () => {
    const line = alertToJsonLine({ outfall: 'a', kind: 'spike', start: 0, end: 60_000, score: 2.34567, evidence: { detector: 'd', threshold: 6, readings: [], note: '' } });
    expect(JSON.parse(line)).toEqual({ outfall: 'a', start: '1970-01-01T00:00:00.000Z', end: '1970-01-01T00:01:00.000Z', kind: 'spike', score: 2.346 });
    expect(parseEventsJsonl(`${line}\n`)).toEqual([{ outfall: 'a', kind: 'spike', start: 0, end: 60_000, score: 2.346 }]);
    expect(() => parseEventsJsonl('{"start":1}\n')).toThrow(expect.objectContaining({ code: 'BAD_EVENTS' }));
  });
});
