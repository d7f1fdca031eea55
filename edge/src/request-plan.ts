import { REGISTER_WIDTH } from '@qingliu/protocol';
import type { RegisterType } from '@qingliu/protocol';

/** The most registers one Modbus read (FC 3 or 4) may return. */
export const MAX_READ_REGISTERS = 125;
/** The most bits one Modbus read of coils or discrete inputs (FC 1 or 2) may return. */
export const MAX_READ_BITS = 2000;

export interface PlannablePoint {
  functionCode: 3 | 4;
  address: number;
  type: RegisterType;
}

/** One read request and where each point's registers sit in its answer. */
export interface ReadRequest<P extends PlannablePoint = PlannablePoint> {
  functionCode: 3 | 4;
  address: number;
  /** Registers to read, 1-125. */
  length: number;
  /** Each point with the index of its first register in the answer. */
  points: { point: P; index: number }[];
}

export interface PlanRequestsOptions {
  /** Most registers per request. Default 125 (the Modbus limit). */
  maxRegisters?: number;
  /** Unused registers a request may read across to join two points. Default 0 (only adjacent or overlapping). */
  maxGap?: number;
}

/**
 * Merges points into the fewest read requests: per function code, points
 * sorted by address are joined while their ranges touch or overlap (or lie
 * within `maxGap`) and the request stays within `maxRegisters`. Requests come
 * out by function code (3, then 4), then address.
 */
export function planRequests<P extends PlannablePoint>(
  points: readonly P[],
  options: PlanRequestsOptions = {},
): ReadRequest<P>[] {
  const maxRegisters = options.maxRegisters ?? MAX_READ_REGISTERS;
  const maxGap = options.maxGap ?? 0;
  if (!Number.isInteger(maxRegisters) || maxRegisters < 1 || maxRegisters > MAX_READ_REGISTERS) {
    throw new RangeError(`maxRegisters must be 1-${MAX_READ_REGISTERS}, got ${maxRegisters}`);
  }
  const sorted = [...points].sort(
    (a, b) => a.functionCode - b.functionCode || a.address - b.address || REGISTER_WIDTH[a.type] - REGISTER_WIDTH[b.type],
  );
  const requests: ReadRequest<P>[] = [];
  let current: ReadRequest<P> | undefined;
  for (const point of sorted) {
    const width = REGISTER_WIDTH[point.type];
    if (width > maxRegisters) throw new RangeError(`a ${point.type} does not fit in ${maxRegisters} registers`);
    const end = point.address + width;
    if (
      current &&
      current.functionCode === point.functionCode &&
      point.address <= current.address + current.length + maxGap &&
      Math.max(end, current.address + current.length) - current.address <= maxRegisters
    ) {
      current.length = Math.max(end, current.address + current.length) - current.address;
      current.points.push({ point, index: point.address - current.address });
      continue;
    }
    current = { functionCode: point.functionCode, address: point.address, length: width, points: [{ point, index: 0 }] };
    requests.push(current);
  }
  return requests;
}

export interface PlannableBit {
  /** 1 = read coils, 2 = read discrete inputs. */
  functionCode: 1 | 2;
  address: number;
}

/** One read of coils or discrete inputs and where each bit sits in its answer. */
export interface BitReadRequest<B extends PlannableBit = PlannableBit> {
  functionCode: 1 | 2;
  address: number;
  /** Bits to read, 1-2000. */
  length: number;
  /** Each bit with its index in the answer. */
  bits: { bit: B; index: number }[];
}

/**
 * Merges status bits into the fewest reads: per function code, bits sorted by
 * address are joined while they are adjacent (or the same) and the request
 * stays within 2000 bits. Requests come out by function code (1, then 2),
 * then address.
 */
export function planBitRequests<B extends PlannableBit>(bits: readonly B[]): BitReadRequest<B>[] {
  const sorted = [...bits].sort((a, b) => a.functionCode - b.functionCode || a.address - b.address);
  const requests: BitReadRequest<B>[] = [];
  let current: BitReadRequest<B> | undefined;
  for (const bit of sorted) {
    if (
      current &&
      current.functionCode === bit.functionCode &&
      bit.address <= current.address + current.length &&
      bit.address + 1 - current.address <= MAX_READ_BITS
    ) {
      current.length = Math.max(current.length, bit.address + 1 - current.address);
      current.bits.push({ bit, index: bit.address - current.address });
      continue;
    }
    current = { functionCode: bit.functionCode, address: bit.address, length: 1, bits: [{ bit, index: 0 }] };
    requests.push(current);
  }
  return requests;
}
