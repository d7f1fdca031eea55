import { MAX_READ_BITS, planBitRequests, planRequests } from './request-plan.js';
import type { PlannableBit, PlannablePoint } from './request-plan.js';

const ir = (address: number, type: PlannablePoint['type'] = 'float32'): PlannablePoint => ({ functionCode: 4, address, type });
const hr = (address: number, type: PlannablePoint['type'] = 'int16'): PlannablePoint => ({ functionCode: 3, address, type });

const shape = (points: PlannablePoint[], options = {}) =>
  planRequests(points, options).map((r) => ({ fc: r.functionCode, address: r.address, length: r.length, at: r.points.map((p) => p.index) }));

describe('planRequests', () => {
  it('joins adjacent points of one function code into one request', () => {
    expect(shape([ir(0), ir(2), ir(4, 'float64')])).toEqual([{ fc: 4, address: 0, length: 8, at: [0, 2, 4] }]);
  });

  it('keeps holding and input registers in separate requests, holding first', () => {
    expect(shape([ir(0), hr(0), hr(1)])).toEqual([
      { fc: 3, address: 0, length: 2, at: [0, 1] },
      { fc: 4, address: 0, length: 2, at: [0] },
    ]);
  });

  it('sorts points given out of order', () => {
    expect(shape([hr(3), hr(1), hr(2)])).toEqual([{ fc: 3, address: 1, length: 3, at: [0, 1, 2] }]);
  });

  it('does not read across a gap unless maxGap allows it', () => {
    expect(shape([ir(100), ir(110)])).toHaveLength(2);
    expect(shape([ir(100), ir(110)], { maxGap: 8 })).toEqual([{ fc: 4, address: 100, length: 12, at: [0, 10] }]);
  });

  it('merges overlapping points (the same registers read as two types)', () => {
    expect(shape([ir(10, 'uint32'), ir(11, 'uint16'), ir(10, 'float64')])).toEqual([
      { fc: 4, address: 10, length: 4, at: [0, 0, 1] },
    ]);
  });

  it('never asks for more than 125 registers in one request', () => {
    const points = Array.from({ length: 100 }, (_, i) => ir(i * 2)); // 200 contiguous registers
    const requests = planRequests(points);
    expect(requests.map((r) => r.length)).toEqual([124, 76]);
    expect(requests.every((r) => r.length <= 125)).toBe(true);
    expect(requests.flatMap((r) => r.points)).toHaveLength(100);
  });

  it('never splits a point across requests', () => {
    const requests = planRequests([hr(0), ...Array.from({ length: 62 }, (_, i) => hr(1 + i * 2, 'int32'))], { maxRegisters: 10 });
    for (const request of requests) {
      for (const { point, index } of request.points) {
        expect(index + (point.type === 'int32' ? 2 : 1)).toBeLessThanOrEqual(request.length);
      }
      expect(request.length).toBeLessThanOrEqual(10);
    }
  });

  it('gives no requests for no points', () => {
    expect(planRequests([])).toEqual([]);
  });

  it('rejects a register limit above the Modbus maximum', () => {
    expect(() => planRequests([ir(0)], { maxRegisters: 126 })).toThrow(RangeError);
  });
});

describe('planBitRequests', () => {
  const bits = (list: PlannableBit[]) =>
    planBitRequests(list).map((r) => ({ fc: r.functionCode, address: r.address, length: r.length, at: r.bits.map((b) => b.index) }));

  it('joins adjacent bits of one function code, coils first, and keeps gaps apart', () => {
    expect(
      bits([
        { functionCode: 2, address: 903 },
        { functionCode: 2, address: 901 },
        { functionCode: 1, address: 900 },
        { functionCode: 2, address: 902 },
        { functionCode: 2, address: 910 },
      ]),
    ).toEqual([
      { fc: 1, address: 900, length: 1, at: [0] },
      { fc: 2, address: 901, length: 3, at: [0, 1, 2] },
      { fc: 2, address: 910, length: 1, at: [0] },
    ]);
  });

  it('reads a bit named twice once, and never more than 2000 bits in one request', () => {
    expect(bits([{ functionCode: 1, address: 5 }, { functionCode: 1, address: 5 }])).toEqual([{ fc: 1, address: 5, length: 1, at: [0, 0] }]);
    const many = planBitRequests(Array.from({ length: 2500 }, (_, i) => ({ functionCode: 2 as const, address: i })));
    expect(many.map((r) => r.length)).toEqual([MAX_READ_BITS, 500]);
  });
});
