import { POLLUTANTS, REGISTER_WIDTH } from '@qingliu/protocol';
import type { PollutantCode, RegisterType, WordOrder } from '@qingliu/protocol';

/**
 * One value a device exposes, in exactly the shape of a point in the edge
 * agent's config: the engineering value is `raw * scale + offset`.
 */
export interface RegisterPoint {
  pollutant: PollutantCode;
  /** 3 = holding registers, 4 = input registers. */
  functionCode: 3 | 4;
  /** Zero-based register address. */
  address: number;
  type: RegisterType;
  wordOrder: WordOrder;
  scale: number;
  offset: number;
  unit: string;
}

export interface RegisterLayout {
  name: string;
  description: string;
  points: readonly RegisterPoint[];
}


function point(
  pollutant: PollutantCode,
  functionCode: 3 | 4,
  address: number,
  type: RegisterType,
  wordOrder: WordOrder,
  scale = 1,
): RegisterPoint {
  return { pollutant, functionCode, address, type, wordOrder, scale, offset: 0, unit: POLLUTANTS[pollutant].unit };
}

/**
 * The register layouts of the simulated analyzers. Every layout has float32
 * values in input registers (FC 4) and scaled integers in holding registers
 * (FC 3), like a flow meter and a multi-parameter analyzer behind one gateway.
 */
export const LAYOUTS = {
  'abcd-compact': {
    name: 'abcd-compact',
    description: 'float32 ABCD flow+COD at IR 0-3; int16 x100 NH3-N+pH at HR 0-1',
    points: [
      point('w00000', 4, 0, 'float32', 'ABCD'),
      point('w01018', 4, 2, 'float32', 'ABCD'),
      point('w21003', 3, 0, 'int16', 'ABCD', 0.01),
      point('w01001', 3, 1, 'int16', 'ABCD', 0.01),
    ],
  },
  'cdab-split': {
    name: 'cdab-split',
    description: 'float32 CDAB flow at IR 100, COD at IR 110; int16 x100 NH3-N+pH and uint16 x1000 TP at HR 200-202',
    points: [
      point('w00000', 4, 100, 'float32', 'CDAB'),
      point('w01018', 4, 110, 'float32', 'CDAB'),
      point('w21003', 3, 200, 'int16', 'ABCD', 0.01),
      point('w01001', 3, 201, 'int16', 'ABCD', 0.01),
      point('w21011', 3, 202, 'uint16', 'ABCD', 0.001),
    ],
  },
  'badc-mixed': {
    name: 'badc-mixed',
    description: 'float32 BADC flow+COD at IR 1000-1003; int16 x100 pH+NH3-N at HR 0-1; int32 BADC x10000 TP at HR 2-3',
    points: [
      point('w00000', 4, 1000, 'float32', 'BADC'),
      point('w01018', 4, 1002, 'float32', 'BADC'),
      point('w01001', 3, 0, 'int16', 'ABCD', 0.01),
      point('w21003', 3, 1, 'int16', 'ABCD', 0.01),
      point('w21011', 3, 2, 'int32', 'BADC', 0.0001),
    ],
  },
  'dcba-wide': {
    name: 'dcba-wide',
    description: 'float32 DCBA flow+COD at IR 0-3, float64 DCBA TN at IR 4-7; int16 x100 NH3-N+pH at HR 10-11',
    points: [
      point('w00000', 4, 0, 'float32', 'DCBA'),
      point('w01018', 4, 2, 'float32', 'DCBA'),
      point('w21001', 4, 4, 'float64', 'DCBA'),
      point('w21003', 3, 10, 'int16', 'ABCD', 0.01),
      point('w01001', 3, 11, 'int16', 'ABCD', 0.01),
    ],
  },
} as const satisfies Record<string, RegisterLayout>;

export type LayoutName = keyof typeof LAYOUTS;
export const LAYOUT_NAMES = Object.keys(LAYOUTS) as LayoutName[];

export function resolveLayout(layout: LayoutName | RegisterLayout): RegisterLayout {
  return typeof layout === 'string' ? LAYOUTS[layout] : layout;
}

/**
 * A device's points in exactly the shape of the edge config's `points`, so a
 * demo can write an edge config for a running plant without the packages
 * importing each other.
 */
export function describePoints(layout: LayoutName | RegisterLayout): RegisterPoint[] {
  return resolveLayout(layout).points.map((p) => ({ ...p }));
}

/**
 * The registers that carry `value` for `point`, in wire order: the inverse
 * of the edge's decode (`raw = (value - offset) / scale`, integers rounded and
 * clamped to their type's range).
 */
export function encodePoint(point: RegisterPoint, value: number): number[] {
  const raw = (value - point.offset) / point.scale;
  const width = REGISTER_WIDTH[point.type];
  const bytes = Buffer.alloc(width * 2);
  switch (point.type) {
    case 'int16':
      bytes.writeInt16BE(clampInt(raw, -0x8000, 0x7fff));
      break;
    case 'uint16':
      bytes.writeUInt16BE(clampInt(raw, 0, 0xffff));
      break;
    case 'int32':
      bytes.writeInt32BE(clampInt(raw, -0x8000_0000, 0x7fff_ffff));
      break;
    case 'uint32':
      bytes.writeUInt32BE(clampInt(raw, 0, 0xffff_ffff));
      break;
    case 'float32':
      bytes.writeFloatBE(raw);
      break;
    case 'float64':
      bytes.writeDoubleBE(raw);
      break;
  }
  const words: number[] = [];
  for (let i = 0; i < width; i++) words.push(bytes.readUInt16BE(i * 2));
  return reorderWords(words, point.wordOrder);
}

/**
 * Puts big-endian words into `order` (or back: each step is its own inverse).
 * CDAB and DCBA reverse the words; BADC and DCBA swap the bytes in each word.
 */
export function reorderWords(words: readonly number[], order: WordOrder): number[] {
  const swapWords = order === 'CDAB' || order === 'DCBA';
  const swapBytes = order === 'BADC' || order === 'DCBA';
  const out = swapWords ? [...words].reverse() : [...words];
  return swapBytes ? out.map((w) => ((w & 0xff) << 8) | (w >>> 8)) : out;
}

function clampInt(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.round(value)));
}

/**
 * The register image of one function code for a set of values: address ->
 * 16-bit word. Addresses no point covers are absent.
 */
export function registerImage(
  layout: RegisterLayout,
  functionCode: 3 | 4,
  values: Readonly<Partial<Record<PollutantCode, number>>>,
): Map<number, number> {
  const image = new Map<number, number>();
  for (const p of layout.points) {
    if (p.functionCode !== functionCode) continue;
    const value = values[p.pollutant];
    if (value === undefined) continue;
    encodePoint(p, value).forEach((word, i) => image.set(p.address + i, word));
  }
  return image;
}
