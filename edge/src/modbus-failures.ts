/**
 * What went wrong on a Modbus read, worded for the operator commissioning a device (English, then
 * Chinese) and for the bureau reading the agent's status topic.
 */

/** Modbus exception codes (Modbus Application Protocol v1.1b3, section 7) and their names. */
const EXCEPTION_NAMES: Readonly<Record<number, readonly [english: string, chinese: string]>> = {
  1: ['illegal function', '非法功能'],
  2: ['illegal data address', '非法数据地址'],
  3: ['illegal data value', '非法数据值'],
  4: ['server device failure', '从站设备故障'],
  5: ['acknowledge', '确认'],
  6: ['server device busy', '从站设备忙'],
  8: ['memory parity error', '存储奇偶校验错误'],
  10: ['gateway path unavailable', '网关路径不可用'],
  11: ['gateway target device failed to respond', '网关目标设备无响应'],
};

/** Exceptions that say the request itself does not fit the device (its function, address or length): the register map is wrong there. */
const REQUEST_EXCEPTIONS: ReadonlySet<number> = new Set([1, 2, 3]);

/** Exceptions a gateway answers for a unit behind it that did not answer: the unit is silent, as on a timeout. */
const GATEWAY_EXCEPTIONS: ReadonlySet<number> = new Set([10, 11]);

/** A point the device answered with a Modbus exception; its other points were read. */
export interface PointFailure {
  /** HJ 212 code of the point. */
  pollutant: string;
  /** The point's channel, when it is a second instance of its code. */
  channel?: string;
  /** 3 (holding registers) or 4 (input registers). */
  functionCode: number;
  /** Zero-based register address. */
  address: number;
  /** The Modbus exception code, e.g. 2 (illegal data address). */
  exception: number;
  /** e.g. `FC 4 address 6 (w01018): Modbus exception 2, illegal data address (非法数据地址)`. */
  error: string;
}

/** The exception code of a Modbus exception answer (modbus-serial sets `modbusCode`), else undefined. */
export function modbusExceptionCode(error: unknown): number | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { modbusCode?: unknown }).modbusCode : undefined;
  return typeof code === 'number' ? code : undefined;
}

/** Whether a Modbus exception is about the request (its function, address or length), not the device's state. */
export function isRequestException(code: number): boolean {
  return REQUEST_EXCEPTIONS.has(code);
}

/** `Modbus exception 2, illegal data address (非法数据地址)`. */
export function describeException(code: number): string {
  const names = EXCEPTION_NAMES[code];
  return names ? `Modbus exception ${code}, ${names[0]} (${names[1]})` : `Modbus exception ${code}`;
}

/** What the operator is told when a unit does not answer at all. */
export function noAnswerMessage(unitId: number): string {
  return `no answer from unit ${unitId}: check the unit id and wiring (从站 ${unitId} 无应答：请检查站号和接线)`;
}

/**
 * Whether the unit did not answer: a request timed out (modbus-serial rejects with
 * `errno: 'ETIMEDOUT'`), or a gateway answered for it with exception 10 or 11.
 */
export function isNoAnswer(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  if ((error as { errno?: unknown }).errno === 'ETIMEDOUT') return true;
  const code = modbusExceptionCode(error);
  return code !== undefined && GATEWAY_EXCEPTIONS.has(code);
}

/** Where a register or bit is: `FC 4 address 6`. */
export function registerName(functionCode: number, address: number): string {
  return `FC ${functionCode} address ${address}`;
}

/** The failure of one point: what was asked, where, and the device's exception. */
export function pointFailure(point: { pollutant: string; channel?: string | undefined; functionCode: number; address: number }, code: number): PointFailure {
  const what = point.channel === undefined ? point.pollutant : `${point.pollutant} channel ${point.channel}`;
  return {
    pollutant: point.pollutant,
    ...(point.channel === undefined ? {} : { channel: point.channel }),
    functionCode: point.functionCode,
    address: point.address,
    exception: code,
    error: `${registerName(point.functionCode, point.address)} (${what}): ${describeException(code)}`,
  };
}

/** modbus-serial rejects timeouts with plain objects ({ name, message, errno }), not Errors. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
    return (error as { message: string }).message;
  }
  return String(error);
}
