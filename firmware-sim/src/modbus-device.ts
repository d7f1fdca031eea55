import type { Server } from 'node:net';
import { ServerTCP } from 'modbus-serial';
import type { Logger } from 'pino';
import type { OutfallModel } from './outfall-model.js';
import type { DeviceCondition } from './scenario-model.js';
import { registerImage, resolveLayout } from './register-map.js';
import type { LayoutName, RegisterLayout } from './register-map.js';

export interface ModbusDeviceParameters {
  /** Default 127.0.0.1. */
  host?: string;
  /** TCP port; default 0 (any free port, reported back as `port`). */
  port?: number;
  /** Modbus unit id the device answers to, 1-247. */
  unitId: number;
  layout: LayoutName | RegisterLayout;
  model: OutfallModel;
  /** Time the model is read at, milliseconds since the epoch. Default Date.now. */
  clock?: () => number;
  /** Faults and status bits at a (simulated) time. Default: none. */
  condition?: (ts: number) => DeviceCondition;
  logger?: Logger;
}

/**
 * Every simulated device has a status word at holding register 900 (in the
 * shape of the edge config's `statusRegister`): bit 0 maintenance, bit 1
 * analyzer fault, bit 2 calibration.
 */
export const STATUS_REGISTER = { functionCode: 3, address: 900, maintenanceBit: 0, faultBit: 1, calibrationBit: 2 } as const;

/**
 * The same conditions as status bits (in the shape of the edge config's
 * `statusBits`): coil 900 maintenance switch, discrete input 901 analyzer
 * fault, discrete input 902 calibration, and discrete input 903 "analyzer
 * ready", which drops (0) on a fault. Other bit addresses get exception 02.
 */
export const STATUS_BITS = [
  { functionCode: 1, address: 900, flag: 'M', activeLow: false },
  { functionCode: 2, address: 901, flag: 'D', activeLow: false },
  { functionCode: 2, address: 902, flag: 'C', activeLow: false },
  { functionCode: 2, address: 903, flag: 'D', activeLow: true },
] as const;

export interface ModbusDevice {
  host: string;
  port: number;
  unitId: number;
  layout: RegisterLayout;
  /** Stops listening and drops every open connection. */
  close(): Promise<void>;
}

/** Modbus exception 02: the request names a register the device does not have. */
const ILLEGAL_DATA_ADDRESS = { modbusErrorCode: 0x02, message: 'illegal data address' };
/** What `read` returns for a request that must never get an answer (a hung analyzer). */
const HUNG = Symbol('hung');
type Answer = (error: Error | null, values: number[]) => void;

/**
 * Starts one simulated analyzer: a Modbus TCP server whose registers hold the
 * model's values at the moment of each read, encoded by the layout. Resolves
 * once it is listening.
 */
export async function startModbusDevice(params: ModbusDeviceParameters): Promise<ModbusDevice> {
  const host = params.host ?? '127.0.0.1';
  const layout = resolveLayout(params.layout);
  const clock = params.clock ?? Date.now;
  const { model, unitId, logger } = params;

  const read = (functionCode: 3 | 4, address: number, length: number): number[] | typeof HUNG => {
    const ts = clock();
    const condition = params.condition?.(ts) ?? {};
    if (condition.fault === 'timeout') return HUNG;
    if (typeof condition.fault === 'number') throw { modbusErrorCode: condition.fault, message: `exception ${condition.fault}` };
    const image = registerImage(layout, functionCode, model.valuesAt(ts));
    if (functionCode === STATUS_REGISTER.functionCode) {
      const bit = (on: boolean | undefined, n: number): number => (on ? 1 << n : 0);
      image.set(
        STATUS_REGISTER.address,
        bit(condition.maintenance, STATUS_REGISTER.maintenanceBit) |
          bit(condition.analyzerFault, STATUS_REGISTER.faultBit) |
          bit(condition.calibration, STATUS_REGISTER.calibrationBit),
      );
    }
    const words: number[] = [];
    for (let a = address; a < address + length; a++) {
      const word = image.get(a);
      if (word === undefined) throw ILLEGAL_DATA_ADDRESS;
      words.push(word);
    }
    return words;
  };
  const readBit = (functionCode: 1 | 2, address: number): boolean | typeof HUNG => {
    const condition = params.condition?.(clock()) ?? {};
    if (condition.fault === 'timeout') return HUNG;
    if (typeof condition.fault === 'number') throw { modbusErrorCode: condition.fault, message: `exception ${condition.fault}` };
    const bit = STATUS_BITS.find((b) => b.functionCode === functionCode && b.address === address);
    if (!bit) throw ILLEGAL_DATA_ADDRESS;
    const on = bit.flag === 'M' ? condition.maintenance : bit.flag === 'D' ? condition.analyzerFault : condition.calibration;
    return Boolean(on) !== bit.activeLow;
  };
  const bit =
    (functionCode: 1 | 2) =>
    (address: number, _unitId: number, done: (error: Error | null, value: boolean) => void): void => {
      let value: boolean | typeof HUNG;
      try {
        value = readBit(functionCode, address);
      } catch (error) {
        done(error as Error, false);
        return;
      }
      if (value !== HUNG) done(null, value);
    };
  // The callback forms of ServerTCP's vector, so that a hung request can simply never be answered.
  const answer = (functionCode: 3 | 4, address: number, length: number, done: Answer): void => {
    let words: number[] | typeof HUNG;
    try {
      words = read(functionCode, address, length);
    } catch (error) {
      done(error as Error, []); // an exception answer: { modbusErrorCode, message }
      return;
    }
    if (words !== HUNG) done(null, words);
  };
  const one =
    (functionCode: 3 | 4) =>
    (address: number, _unitId: number, done: (error: Error | null, value: number) => void): void =>
      answer(functionCode, address, 1, (error, values) => done(error, values[0] ?? 0));
  const many =
    (functionCode: 3 | 4) =>
    (address: number, length: number, _unitId: number, done: Answer): void =>
      answer(functionCode, address, length, done);

  const server = new ServerTCP(
    {
      getHoldingRegister: one(3),
      getInputRegister: one(4),
      getMultipleHoldingRegisters: many(3),
      getMultipleInputRegisters: many(4),
      getCoil: bit(1),
      getDiscreteInput: bit(2),
    },
    // ServerTCP reads `port || 502`, so a numeric 0 would mean 502; net.Server
    // accepts the port as a string, and "0" asks the OS for a free one.
    { host, port: (params.port ?? 0) === 0 ? ('0' as unknown as number) : params.port!, unitID: unitId },
  );
  server.on('socketError', (error: Error | null) => logger?.debug({ err: error }, 'modbus socket error'));
  server.on('error', (error: Error | null) => logger?.warn({ err: error }, 'modbus server error'));

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error | null): void => {
      server.removeListener('initialized', onReady);
      reject(error ?? new Error('modbus server failed to start'));
    };
    const onReady = (): void => {
      server.removeListener('serverError', onError);
      resolve();
    };
    server.once('initialized', onReady);
    server.once('serverError', onError);
  });

  // ServerTCP keeps its net.Server private; it is the only place the bound port is known.
  const address = (server as unknown as { _server?: Server })._server?.address();
  if (!address || typeof address !== 'object') {
    await closeServer(server);
    throw new Error('modbus server did not report its address');
  }
  logger?.info({ host, port: address.port, unitId, layout: layout.name }, 'modbus device listening');

  let closed: Promise<void> | undefined;
  return {
    host,
    port: address.port,
    unitId,
    layout,
    close() {
      closed ??= closeServer(server).then(() => logger?.info({ port: address.port }, 'modbus device stopped'));
      return closed;
    },
  };
}

function closeServer(server: ServerTCP): Promise<void> {
  return new Promise((resolve) => {
    // The callback gets an error only when the server was not listening: closed either way.
    server.close(() => resolve());
  });
}
