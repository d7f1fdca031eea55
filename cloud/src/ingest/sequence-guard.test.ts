import type { Reading } from '@qingliu/protocol';
import { SequenceGuard } from './sequence-guard.js';

const r = (device: string, seq: number): Reading => ({
  enterprise: 'e', outfall: 'o', device, pollutant: 'w01018', value: 1, unit: 'mg/L', ts: 1000 + seq, seq, flag: 'N',
});

describe('SequenceGuard', () => {
  it('takes a message as new for sure only when every seq is above the stored ones and above the one before', () => {
    const guard = new SequenceGuard(new Map([['d1', 10]]));
    expect(guard.allFresh('d1', Float64Array.of(11, 12, 15))).toBe(true);
    expect(guard.allFresh('d1', Float64Array.of(10, 11))).toBe(false); // 10 is stored
    expect(guard.allFresh('d1', Float64Array.of(12, 11))).toBe(false); // out of order: looked up
    expect(guard.allFresh('d1', Float64Array.of(12, 12))).toBe(false); // the same seq twice
    expect(guard.allFresh('d2', Float64Array.of(0))).toBe(true); // a device never seen
  });

  it('records the highest seq a message stored, in any order, and never lowers it', () => {
    const guard = new SequenceGuard();
    guard.commitSeqs('d1', Float64Array.of(5, 9, 7));
    expect(guard.highest('d1')).toBe(9);
    guard.commitSeqs('d1', Float64Array.of(3));
    expect(guard.highest('d1')).toBe(9);
    expect(guard.split([r('d1', 9), r('d1', 10), r('d2', 0)]).toCheck.map((x) => x.seq)).toEqual([9]);
  });
});
