import ModbusSerial from 'modbus-serial';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { QingliuError } from '@qingliu/protocol';
import type { PollutantCode, QualityFlag } from '@qingliu/protocol';
import type { DeviceConfig, PointConfig, StatusBitConfig, StatusRegisterConfig } from './config.js';
import { createAbandoner } from './abandoner.js';
import { decodePoint } from './decode.js';
import { planBitRequests, planRequests } from './request-plan.js';
import type { ReadRequest } from './request-plan.js';
import { acquireSerialLine, isModbusException } from './serial-line.js';

/** One decoded value of one poll. */
export interface PolledSample {
  device: string;
  outfall: string;
  pollutant: PollutantCode;
  /** Scaled value, in `unit`. */
  value: number;
  unit: string;
  /** Time the poll started, milliseconds since the epoch; the same for every sample of one poll. */
  ts: number;
  /**
   * HJ 212 data flag: 'N', or from the device's status register and status
   * bits 'M' (maintenance), 'D' (fault), 'C' (calibration); fault wins, then
   * maintenance. A poll that fails yields no samples at all.
   */
  flag: QualityFlag;
}

/** Whether a device answers, as the poller last saw it. */
export interface DeviceStatus {
  online: boolean;
  /** When the device last changed between answering and not, milliseconds since the epoch. */
  since: number;
  /** Why it does not answer (offline only). */
  error?: string;
}

export interface DevicePollerParameters {
  device: DeviceConfig;
  /** Default: silent. */
  logger?: Logger;
  /** Called with the samples of each successful poll (never with an empty list). */
  onSamples: (samples: PolledSample[]) => void;
  /** Called when the device starts or stops answering (and after its first poll). */
  onStatus?: (status: DeviceStatus) => void;
  /** Sample time source, milliseconds since the epoch. Default Date.now. */
  clock?: () => number;
  /** First wait before polling a device that failed, milliseconds; doubles per failure. Default: the poll interval. */
  reconnectMinDelayMs?: number;
  /** Longest wait between attempts on a failing device, milliseconds. Default 10000. */
  reconnectMaxDelayMs?: number;
}

export interface DevicePoller {
  /** Starts polling every `pollIntervalMs` (start to start, never overlapping). */
  start(): void;
  /**
   * Polls now (after any poll in flight), passes the samples to `onSamples`
   * and returns them. Rejects with QingliuError('DEVICE_UNREACHABLE',
   * retryable) when the device cannot be reached or does not answer.
   */
  pollOnce(): Promise<PolledSample[]>;
  /** Stops polling, abandons a poll in flight and closes the connection. */
  close(): Promise<void>;
}

export const DEFAULT_RECONNECT_MAX_DELAY_MS = 10_000;

// modbus-serial is CommonJS; its typings name the client class as the default export.
const ModbusRTU = ModbusSerial.default;
type ModbusRTU = InstanceType<typeof ModbusRTU>;

/** The status register as one more thing to read in the request plan. */
type StatusItem = StatusRegisterConfig & { type: 'uint16'; status: true };
type PlanItem = PointConfig | StatusItem;
const isStatus = (item: PlanItem): item is StatusItem => 'status' in item;

/** Where a device is, for log lines and errors. */
export function deviceAddress(device: DeviceConfig): string {
  return device.transport === 'tcp'
    ? `${device.host}:${device.port} unit ${device.unitId}`
    : `${device.path} (${device.baudRate} ${device.dataBits}${device.parity[0]!.toUpperCase()}${device.stopBits}) unit ${device.unitId}`;
}

/** The flags a status word raises. */
function flagsOfWord(status: StatusRegisterConfig, word: number, into: Set<QualityFlag>): void {
  const has = (bit: number | undefined): boolean => bit !== undefined && (word & (1 << bit)) !== 0;
  if (has(status.faultBit)) into.add('D');
  if (has(status.maintenanceBit)) into.add('M');
  if (has(status.calibrationBit)) into.add('C');
}

/** The flag of a poll: fault wins, then maintenance, then calibration. */
function flagOf(raised: ReadonlySet<QualityFlag>): QualityFlag {
  for (const flag of ['D', 'M', 'C'] as const) if (raised.has(flag)) return flag;
  return 'N';
}

/**
 * Polls one Modbus device (TCP, or RTU over a serial line): reads its points in as few requests as
 * possible, decodes them, and hands them on as samples with one timestamp per
 * poll. When the device fails (refused, timed out, dropped) the poll yields
 * no samples; the connection is dropped and remade on a later poll, waiting
 * longer after each consecutive failure. Each poller owns its own connection
 * and timer, so one device's failure never delays another's polls.
 */
export function createDevicePoller(params: DevicePollerParameters): DevicePoller {
  const { device, onSamples } = params;
  const logger = params.logger ?? pino({ enabled: false });
  const clock = params.clock ?? Date.now;
  const minDelay = params.reconnectMinDelayMs ?? device.pollIntervalMs;
  const maxDelay = Math.max(minDelay, params.reconnectMaxDelayMs ?? DEFAULT_RECONNECT_MAX_DELAY_MS);
  const items: PlanItem[] = [...device.points];
  if (device.statusRegister) items.push({ ...device.statusRegister, type: 'uint16', status: true });
  const plan = planRequests(items);
  const bitPlan = planBitRequests<StatusBitConfig>(device.statusBits ?? []);
  const where = deviceAddress(device);
  let online: boolean | undefined;
  const report = (next: boolean, error?: string): void => {
    if (online === next) return;
    online = next;
    params.onStatus?.({ online: next, since: Date.now(), ...(error === undefined ? {} : { error }) });
  };

  let client: ModbusRTU | undefined;
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  let closed = false;
  let failures = 0;
  let inFlight: Promise<unknown> = Promise.resolve();

  // Whatever is awaited when close() comes is abandoned.
  const abandoner = createAbandoner();
  const closedError = (): QingliuError =>
    new QingliuError('DEVICE_UNREACHABLE', `poller of device ${device.id} is closed`, { retryable: false });
  const unlessClosed = <T>(promise: Promise<T>): Promise<T> => abandoner.guard(promise);

  // A TCP device has its own connection; the units of one serial line share its port, one request at a time.
  const line = device.transport === 'rtu' ? acquireSerialLine(device, logger) : undefined;
  const release = (c: ModbusRTU): Promise<void> => new Promise<void>((resolve) => c.destroy(() => resolve()));
  const drop = (c: ModbusRTU | undefined): void => {
    if (!c || line) return; // a serial line closes its port itself, before the next unit's turn
    if (client === c) client = undefined;
    void release(c);
  };
  /** Runs a whole poll's requests on the device's connection (alone on its line, for a serial unit). */
  const withClient = <T>(work: (c: ModbusRTU) => Promise<T>): Promise<T> =>
    line
      ? unlessClosed(line.use(device.unitId, device.timeoutMs, work))
      : (async () => work(client ?? (client = await connect())))();

  const connect = async (): Promise<ModbusRTU> => {
    const c = new ModbusRTU();
    c.on('error', (error: unknown) => logger.debug({ err: error }, 'modbus client error'));
    // Set before connecting: it bounds the TCP connect as well as each request.
    c.setTimeout(device.timeoutMs);
    try {
      if (device.transport !== 'tcp') throw new Error('a serial device goes through its line');
      await unlessClosed(c.connectTCP(device.host, { port: device.port }));
    } catch (error) {
      drop(c);
      throw error;
    }
    c.setID(device.unitId);
    c.on('close', () => {
      if (client === c) client = undefined;
    });
    return c;
  };

  const read = async (c: ModbusRTU, request: ReadRequest<PlanItem>): Promise<number[]> => {
    const answer =
      request.functionCode === 3
        ? c.readHoldingRegisters(request.address, request.length)
        : c.readInputRegisters(request.address, request.length);
    return (await unlessClosed(answer)).data;
  };

  const readBits = async (c: ModbusRTU, request: (typeof bitPlan)[number]): Promise<boolean[]> => {
    const answer = request.functionCode === 1 ? c.readCoils(request.address, request.length) : c.readDiscreteInputs(request.address, request.length);
    return (await unlessClosed(answer)).data;
  };

  /** Reads every planned request of one poll from the device and decodes them. */
  const readAll = async (c: ModbusRTU, ts: number): Promise<PolledSample[]> => {
    const samples: PolledSample[] = [];
    const raised = new Set<QualityFlag>();
    for (const request of bitPlan) {
      const bits = await readBits(c, request);
      for (const { bit, index } of request.bits) if (bits[index] === !bit.activeLow) raised.add(bit.flag);
    }
    for (const request of plan) {
      const words = await read(c, request);
      for (const { point, index } of request.points) {
        if (isStatus(point)) {
          flagsOfWord(point, words[index]!, raised);
          continue;
        }
        const value = decodePoint(point, words.slice(index));
        if (!Number.isFinite(value)) {
          logger.warn({ pollutant: point.pollutant, address: point.address }, 'point decoded to a non-finite value; skipped');
          continue;
        }
        samples.push({ device: device.id, outfall: device.outfall, pollutant: point.pollutant, value, unit: point.unit, ts, flag: 'N' });
      }
    }
    const flag = flagOf(raised);
    for (const sample of samples) sample.flag = flag;
    return samples;
  };

  const poll = async (): Promise<PolledSample[]> => {
    if (closed) throw closedError();
    const ts = clock();
    let c: ModbusRTU | undefined;
    try {
      const samples = await withClient((used) => {
        c = used;
        return readAll(used, ts);
      });
      if (failures > 0) logger.info({ failures }, `device ${device.id} at ${where} answers again`);
      failures = 0;
      report(true);
      if (samples.length > 0) onSamples(samples);
      return samples;
    } catch (error) {
      if (closed) throw closedError();
      failures += 1;
      // A Modbus exception is an answer: the connection is fine. Anything else may leave it unusable.
      if (!isModbusException(error)) drop(c ?? client);
      const reason = describeError(error);
      report(false, reason);
      const log = { err: error, failures, retryInMs: retryDelay() };
      if (failures === 1) logger.warn(log, `device ${device.id} at ${where} failed: ${reason}`);
      else logger.debug(log, `device ${device.id} at ${where} still failing: ${reason}`);
      throw new QingliuError('DEVICE_UNREACHABLE', `device ${device.id} at ${where}: ${reason}`, {
        retryable: true,
        cause: error,
      });
    }
  };

  const retryDelay = (): number => (failures === 0 ? 0 : Math.min(maxDelay, minDelay * 2 ** Math.min(failures - 1, 30)));

  const pollOnce = (): Promise<PolledSample[]> => {
    const next = inFlight.then(poll);
    inFlight = next.catch(() => undefined);
    return next;
  };

  const tick = async (): Promise<void> => {
    timer = undefined;
    if (closed) return;
    const startedAt = Date.now();
    let delay: number;
    try {
      await pollOnce();
      delay = device.pollIntervalMs - (Date.now() - startedAt);
    } catch {
      // Logged by poll(); the samples of this poll are simply missing.
      delay = Math.max(device.pollIntervalMs - (Date.now() - startedAt), retryDelay());
    }
    if (!closed) timer = setTimeout(() => void tick(), Math.max(0, delay));
  };

  return {
    start() {
      if (started || closed) return;
      started = true;
      timer = setTimeout(() => void tick(), 0);
    },
    pollOnce,
    async close() {
      if (closed) return inFlight.then(() => undefined);
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      abandoner.abandon(closedError());
      await inFlight;
      // Wait for the connection to be released (a serial port stays locked until then), at most 1 s.
      const c = client;
      client = undefined;
      const released = line ? line.release() : c ? release(c) : undefined;
      if (released) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([released, new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000)))]);
        clearTimeout(timer);
      }
    },
  };
}

/** modbus-serial rejects timeouts with plain objects ({ name, message, errno }), not Errors. */
function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
    return (error as { message: string }).message;
  }
  return String(error);
}

