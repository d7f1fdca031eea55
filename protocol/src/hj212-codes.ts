import { POLLUTANTS, POLLUTANT_CODES } from './pollutants.js';

/**
 * The water codes of HJ 212-2017 (appendix B, table B.1 "water pollutants"), each with its
 * English and Chinese name and the unit a reading carries by default: the table's default
 * concentration unit, written in ASCII where one exists (`ug/L` for 微克/升), except for the
 * six codes Qingliu accounts (`POLLUTANTS`), which keep their units (flow in m3/h, where the
 * table's default is L/s).
 *
 * `w00001` (cumulative flow, m3) is not in table B.1: the standard carries a cumulative flow
 * as the `-Cou` value of w00000, which a reading cannot express. Data loggers commonly report
 * a flow totalizer as w00001, so Qingliu accepts it; `inTable` says which codes are the standard's.
 */
export const HJ212_WATER_CODES = {
  w00000: { name: 'flow', nameZh: '污水', unit: 'm3/h', inTable: true },
  w00001: { name: 'cumulative flow', nameZh: '累计流量', unit: 'm3', inTable: false },
  w01001: { name: 'pH', nameZh: 'pH值', unit: 'pH', inTable: true },
  w01002: { name: 'colour', nameZh: '色度', unit: 'degree', inTable: true },
  w01006: { name: 'dissolved solids', nameZh: '溶解性总固体', unit: 'mg/L', inTable: true },
  w01009: { name: 'dissolved oxygen', nameZh: '溶解氧', unit: 'mg/L', inTable: true },
  w01010: { name: 'water temperature', nameZh: '水温', unit: '°C', inTable: true },
  w01012: { name: 'suspended solids', nameZh: '悬浮物', unit: 'mg/L', inTable: true },
  w01014: { name: 'conductivity', nameZh: '电导率', unit: 'uS/cm', inTable: true },
  w01017: { name: 'BOD5', nameZh: '五日生化需氧量', unit: 'mg/L', inTable: true },
  w01018: { name: 'COD', nameZh: '化学需氧量', unit: 'mg/L', inTable: true },
  w01019: { name: 'permanganate index', nameZh: '高锰酸盐指数', unit: 'mg/L', inTable: true },
  w01020: { name: 'TOC', nameZh: '总有机碳', unit: 'mg/L', inTable: true },
  w02003: { name: 'faecal coliforms', nameZh: '粪大肠菌群', unit: 'count/L', inTable: true },
  w02006: { name: 'total bacteria', nameZh: '细菌总数', unit: 'count/L', inTable: true },
  w03001: { name: 'gross alpha', nameZh: '总α放射性', unit: 'Bq/L', inTable: true },
  w03002: { name: 'gross beta', nameZh: '总β放射性', unit: 'Bq/L', inTable: true },
  w19001: { name: 'surfactants', nameZh: '表面活性剂', unit: 'mg/L', inTable: true },
  w19002: { name: 'anionic surfactants', nameZh: '阴离子表面活性剂', unit: 'mg/L', inTable: true },
  w20012: { name: 'barium', nameZh: '钡', unit: 'mg/L', inTable: true },
  w20023: { name: 'boron', nameZh: '硼', unit: 'mg/L', inTable: true },
  w20038: { name: 'cobalt', nameZh: '钴', unit: 'mg/L', inTable: true },
  w20061: { name: 'molybdenum', nameZh: '钼', unit: 'mg/L', inTable: true },
  w20089: { name: 'thallium', nameZh: '铊', unit: 'ng/L', inTable: true },
  w20092: { name: 'tin', nameZh: '锡', unit: 'mg/L', inTable: true },
  w20111: { name: 'total mercury', nameZh: '总汞', unit: 'ug/L', inTable: true },
  w20113: { name: 'alkyl mercury', nameZh: '烷基汞', unit: 'ng/L', inTable: true },
  w20115: { name: 'total cadmium', nameZh: '总镉', unit: 'ug/L', inTable: true },
  w20116: { name: 'total chromium', nameZh: '总铬', unit: 'mg/L', inTable: true },
  w20117: { name: 'hexavalent chromium', nameZh: '六价铬', unit: 'ug/L', inTable: true },
  w20119: { name: 'total arsenic', nameZh: '总砷', unit: 'ug/L', inTable: true },
  w20120: { name: 'total lead', nameZh: '总铅', unit: 'ug/L', inTable: true },
  w20121: { name: 'total nickel', nameZh: '总镍', unit: 'mg/L', inTable: true },
  w20122: { name: 'total copper', nameZh: '总铜', unit: 'mg/L', inTable: true },
  w20123: { name: 'total zinc', nameZh: '总锌', unit: 'mg/L', inTable: true },
  w20124: { name: 'total manganese', nameZh: '总锰', unit: 'mg/L', inTable: true },
  w20125: { name: 'total iron', nameZh: '总铁', unit: 'mg/L', inTable: true },
  w20126: { name: 'total silver', nameZh: '总银', unit: 'mg/L', inTable: true },
  w20127: { name: 'total beryllium', nameZh: '总铍', unit: 'ug/L', inTable: true },
  w20128: { name: 'total selenium', nameZh: '总硒', unit: 'ug/L', inTable: true },
  w20138: { name: 'copper', nameZh: '铜', unit: 'mg/L', inTable: true },
  w20139: { name: 'zinc', nameZh: '锌', unit: 'mg/L', inTable: true },
  w20140: { name: 'selenium', nameZh: '硒', unit: 'mg/L', inTable: true },
  w20141: { name: 'arsenic', nameZh: '砷', unit: 'mg/L', inTable: true },
  w20142: { name: 'mercury', nameZh: '汞', unit: 'ug/L', inTable: true },
  w20143: { name: 'cadmium', nameZh: '镉', unit: 'ug/L', inTable: true },
  w20144: { name: 'lead', nameZh: '铅', unit: 'mg/L', inTable: true },
  w21001: { name: 'TN', nameZh: '总氮', unit: 'mg/L', inTable: true },
  w21003: { name: 'NH3-N', nameZh: '氨氮', unit: 'mg/L', inTable: true },
  w21004: { name: 'Kjeldahl nitrogen', nameZh: '凯氏氮', unit: 'mg/L', inTable: true },
  w21006: { name: 'nitrite', nameZh: '亚硝酸盐', unit: 'mg/L', inTable: true },
  w21007: { name: 'nitrate', nameZh: '硝酸盐', unit: 'mg/L', inTable: true },
  w21011: { name: 'TP', nameZh: '总磷', unit: 'mg/L', inTable: true },
  w21016: { name: 'cyanide', nameZh: '氰化物', unit: 'mg/L', inTable: true },
  w21017: { name: 'fluoride', nameZh: '氟化物', unit: 'mg/L', inTable: true },
  w21019: { name: 'sulphide', nameZh: '硫化物', unit: 'mg/L', inTable: true },
  w21022: { name: 'chloride', nameZh: '氯化物', unit: 'mg/L', inTable: true },
  w21038: { name: 'sulphate', nameZh: '硫酸盐', unit: 'mg/L', inTable: true },
  w22001: { name: 'petroleum oils', nameZh: '石油类', unit: 'mg/L', inTable: true },
  w23002: { name: 'volatile phenols', nameZh: '挥发酚', unit: 'mg/L', inTable: true },
  w25043: { name: 'benzo[a]pyrene', nameZh: '苯并[a]芘', unit: 'ug/L', inTable: true },
  w33001: { name: 'HCH', nameZh: '六六六', unit: 'ng/L', inTable: true },
  w33007: { name: 'DDT', nameZh: '滴滴涕', unit: 'ng/L', inTable: true },
  w99001: { name: 'organic nitrogen', nameZh: '有机氮', unit: 'mg/L', inTable: true },
} as const satisfies Readonly<Record<`w${string}`, { name: string; nameZh: string; unit: string; inTable: boolean }>>;

/** An HJ 212-2017 water code a reading may carry: one of `HJ212_WATER_CODES`. */
export type Hj212Code = keyof typeof HJ212_WATER_CODES;

/** Every water code, the six accounted ones first (the order a schema checks them in: the common ones first). */
export const HJ212_CODES: readonly Hj212Code[] = [
  ...POLLUTANT_CODES,
  ...(Object.keys(HJ212_WATER_CODES) as Hj212Code[]).filter((code) => !Object.hasOwn(POLLUTANTS, code)),
];

/** A well-formed water code (`w` and five digits), whether or not the table has it. */
export const HJ212_CODE_PATTERN = /^w\d{5}$/;

export function isHj212Code(value: string): value is Hj212Code {
  return Object.hasOwn(HJ212_WATER_CODES, value);
}

/** Why `value` is not a code a reading may carry, or undefined when it is one. */
export function hj212CodeProblem(value: string): string | undefined {
  if (isHj212Code(value)) return undefined;
  if (!HJ212_CODE_PATTERN.test(value)) return `${JSON.stringify(value)} is not an HJ 212 water code (w and five digits, e.g. w01018)`;
  return `${value} is not in the HJ 212-2017 water code table (protocol/README.md lists the codes Qingliu carries)`;
}
