import { readingLine, sealLine } from './line-protocol.js';

const reading = {
  enterprise: 'ent-a', outfall: 'out-1', device: 'dev-1', pollutant: 'w01018' as const,
  value: 48.73, unit: 'mg/L', ts: 1_795_996_800_000, seq: 42, flag: 'N' as const, batch: 7,
};

describe('readingLine', () => {
  it('writes tags, typed fields and the time in ms', () => {
    expect(readingLine('reading', reading)).toBe(
      'reading,device=dev-1,enterprise=ent-a,outfall=out-1,pollutant=w01018 batch=7i,flag="N",seq=42i,unit="mg/L",value=48.73 1795996800000',
    );
  });

  it('keeps a whole-number value a float and escapes what the grammar needs', () => {
    const line = readingLine('reading', { ...reading, value: 7, unit: 'a "b"\\c', device: 'd 1,x=y' });
    expect(line).toContain('value=7 ');
    expect(line).toContain('unit="a \\"b\\"\\\\c"');
    expect(line).toContain('device=d\\ 1\\,x\\=y,');
  });

  it('tags a second instance of a code with its channel (first, as InfluxDB sorts tag keys), so it is a series of its own', () => {
    expect(readingLine('reading', { ...reading, channel: 'cod-2' })).toBe(
      'reading,channel=cod-2,device=dev-1,enterprise=ent-a,outfall=out-1,pollutant=w01018 batch=7i,flag="N",seq=42i,unit="mg/L",value=48.73 1795996800000',
    );
    expect(sealLine('reading', { ...reading, channel: 'cod-2' }, 9)).toBe('reading,channel=cod-2,device=dev-1,enterprise=ent-a,outfall=out-1,pollutant=w01018 sealed=9i 1795996800000');
    expect(sealLine('reading', reading, 9)).toBe('reading,device=dev-1,enterprise=ent-a,outfall=out-1,pollutant=w01018 sealed=9i 1795996800000');
  });

  it('refuses a value InfluxDB cannot store', () => {
    expect(() => readingLine('reading', { ...reading, value: Number.NaN })).toThrow(/not finite/);
  });
});
