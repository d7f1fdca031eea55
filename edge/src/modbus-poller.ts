import ModbusSerial from 'modbus-serial';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { QingliuError, REGISTER_WIDTH } from '@qingliu/protocol';
import type { Hj212Code, QualityFlag } from '@qingliu/protocol';
import type { DeviceConfig, PointConfig, StatusBitConfig, StatusRegisterConfig } from './config.js';
import { createAbandoner } from './abandoner.js';
import { decodePoint } from './decode.js';
import { flagOf, flagsOfWord } from './status-flags.js';
import { describeError, describeException, isNoAnswer, isRequestException, modbusExceptionCode, noAnswerMessage, pointFailure, registerName } from './modbus-failures.js';
import type { PointFailure } from './modbus-failures.js';
import { planBitRequests, planRequests } from './request-plan.js';
import type { ReadRequest } from './request-plan.js';
import { acquireSerialLine, isModbusException } from './serial-line.js';

/** One decoded value of one poll. */
export interface PolledSample {
  device: string;
  outfall: string;
  pollutant: Hj212Code;
  /** Which instance of `pollutant`, on a device's second point of a code; absent on the primary one. */
  channel?: string;
  /** Scaled value, in `unit`. */
  value: number;
  unit: string;
  /** Time the poll started, milliseconds since the epoch; the same for every sample of one poll. */
  ts: number;
  /**
   * HJ 212 data flag: 'N', or from the device's status register and status
   * bits 'M' (maintenance), 'D' (fault), 'C' (calibration); fault wins, then
   * maintenance. A poll that fails yields no samples at all; a point the
   * device answers with a Modbus exception yields none (DeviceStatus.failedPoints says why).
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
  /**
   * Online only: the points the device answered with a Modbus exception at its last poll (the
   * others were read and published), each with its function code, address and exception.
   */
  failedPoints?: PointFailure[];
}

export interface DevicePollerParameters {
  device: DeviceConfig;
  /** Default: silent. */
  logger?: Logger;
  /** Called with the samples of each successful poll (never with an empty list). */
  onSamples: (samples: PolledSample[]) => void;
  /** Called when the device starts or stops answering (and after its first poll), and when its failed points change. */
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
  /** What the last poll found (undefined before the first): online or not, and the points that failed. */
  status(): DeviceStatus | undefined;
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

/** What one poll read: the samples, the points answered with an exception, or why the whole poll failed. */
interface PollReading {
  samples: PolledSample[];
  failed: PointFailure[];
  /** The device answered, but not so that any reading can be made (a status read refused, every point refused). */
  refused?: { reason: string; cause: unknown };
}

/** One item read on its own: what a merged request is split into when the device refuses it. */
const alone = (item: PlanItem): ReadRequest<PlanItem> => ({
  functionCode: item.functionCode,
  address: item.address,
  length: REGISTER_WIDTH[item.type],
  points: [{ point: item, index: 0 }],
});

/** Where a device is, for log lines and errors. */
export function deviceAddress(device: DeviceConfig): string {
  return device.transport === 'tcp'
    ? `${device.host}:${device.port} unit ${device.unitId}`
    : `${device.path} (${device.baudRate} ${device.dataBits}${device.parity[0]!.toUpperCase()}${device.stopBits}) unit ${device.unitId}`;
}

/**
 * Polls one Modbus device (TCP, or RTU over a serial line): reads its points in as few requests as
 * possible, decodes them, and hands them on as samples with one timestamp per
 * poll. When the device fails (refused, timed out, dropped) the poll yields
 * no samples; the connection is dropped and remade on a later poll, waiting
 * longer after each consecutive failure. Each poller owns its own connection
 * and timer, so one device's failure never delays another's polls.
 *
 * A request the device answers with a Modbus exception costs only the points
 * that cause it: a merged request is read again point by point (and, when the
 * exception says the request does not fit the device, stays split), the other
 * points are published, and each refused point is named in the status with its
 * function code, address and exception. A poll fails as a whole when the
 * device does not answer, when a status register or bit is refused (the flag of
 * the readings is then unknown), or when every point is refused.
 */
export function createDevicePoller(params: DevicePollerParameters): DevicePoller {
  const { device, onSamples } = params;
  const logger = params.logger ?? pino({ enabled: false });
  const clock = params.clock ?? Date.now;
  const minDelay = params.reconnectMinDelayMs ?? device.pollIntervalMs;
  const maxDelay = Math.max(minDelay, params.reconnectMaxDelayMs ?? DEFAULT_RECONNECT_MAX_DELAY_MS);
  const items: PlanItem[] = [...device.points];
  if (device.statusRegister) items.push({ ...device.statusRegister, type: 'uint16', status: true });
  // Mutable: a merged request the device refuses for its address range is split for good.
  const plan = planRequests(items);
  const bitPlan = planBitRequests<StatusBitConfig>(device.statusBits ?? []);
  const where = deviceAddress(device);
  let status: DeviceStatus | undefined;
  const failedKey = (failed: readonly PointFailure[] | undefined): string => (failed ?? []).map((f) => f.error).join('\n');
  const report = (next: boolean, detail: { error?: string; failedPoints?: PointFailure[] } = {}): void => {
    const failedPoints = next && detail.failedPoints && detail.failedPoints.length > 0 ? detail.failedPoints : undefined;
    if (status?.online === next && failedKey(status.failedPoints) === failedKey(failedPoints)) return;
    const since = status?.online === next ? status.since : Date.now();
    status = {
      online: next,
      since,
      ...(!next && detail.error !== undefined ? { error: detail.error } : {}),
      ...(failedPoints ? { failedPoints } : {}),
    };
    params.onStatus?.(status);
  };
  /** The points refused at the last poll that read anything (kept while the device is offline). */
  let refusedPoints: readonly PointFailure[] = [];
  /** Logs the points that start failing and those that read again. */
  const logPointChanges = (failed: readonly PointFailure[]): void => {
    const before = new Set(refusedPoints.map((f) => f.error));
    const now = new Set(failed.map((f) => f.error));
    for (const f of failed) if (!before.has(f.error)) logger.warn({ point: f }, `device ${device.id} at ${where}: ${f.error}; its other points are read`);
    for (const f of refusedPoints) {
      if (!now.has(f.error)) logger.info({ point: f }, `device ${device.id} at ${where}: ${registerName(f.functionCode, f.address)} (${f.pollutant}) reads again`);
    }
    refusedPoints = failed;
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

  /**
   * Reads every planned request of one poll from the device and decodes them. Throws when the device
   * does not answer (or the link fails); a Modbus exception is an answer, and costs only what it names.
   */
  const readAll = async (c: ModbusRTU, ts: number): Promise<PollReading> => {
    const samples: PolledSample[] = [];
    const failed: PointFailure[] = [];
    let firstRefusal: unknown;
    const raised = new Set<QualityFlag>();
    const refusedStatus = (what: string, error: unknown, code: number): PollReading => ({
      samples: [],
      failed: [],
      refused: { reason: `status ${what}: ${describeException(code)}; the readings' flag cannot be known`, cause: error },
    });
    for (const request of bitPlan) {
      let bits: boolean[];
      try {
        bits = await readBits(c, request);
      } catch (error) {
        const code = modbusExceptionCode(error);
        if (code === undefined || isNoAnswer(error)) throw error;
        return refusedStatus(`bits ${registerName(request.functionCode, request.address)} (${request.length})`, error, code);
      }
      for (const { bit, index } of request.bits) if (bits[index] === !bit.activeLow) raised.add(bit.flag);
    }
    // This poll's requests: the plan, and the points of a refused merged request one by one.
    const queue = [...plan];
    for (let i = 0; i < queue.length; i++) {
      const request = queue[i]!;
      let words: number[];
      try {
        words = await read(c, request);
      } catch (error) {
        const code = modbusExceptionCode(error);
        if (code === undefined || isNoAnswer(error)) throw error;
        if (request.points.length > 1) {
          // Which point does the device refuse? Each is read on its own: in this poll, and from now on
          // when the exception says the request does not fit the device (a register it lacks).
          const singles = request.points.map(({ point }) => alone(point));
          queue.splice(i + 1, 0, ...singles);
          if (isRequestException(code)) {
            plan.splice(plan.indexOf(request), 1, ...singles);
            logger.debug({ request: registerName(request.functionCode, request.address), length: request.length, code }, 'merged request refused; its points are read one by one');
          }
          continue;
        }
        const item = request.points[0]!.point;
        if (isStatus(item)) return refusedStatus(`register ${registerName(item.functionCode, item.address)}`, error, code);
        firstRefusal ??= error;
        failed.push(pointFailure(item, code));
        continue;
      }
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
        samples.push({
          device: device.id,
          outfall: device.outfall,
          pollutant: point.pollutant,
          ...(point.channel === undefined ? {} : { channel: point.channel }),
          value,
          unit: point.unit,
          ts,
          flag: 'N',
        });
      }
    }
    if (failed.length > 0 && failed.length === device.points.length) {
      return { samples: [], failed, refused: { reason: `every point was refused: ${failed.map((f) => f.error).join('; ')}`, cause: firstRefusal } };
    }
    const flag = flagOf(raised);
    for (const sample of samples) sample.flag = flag;
    return { samples, failed };
  };

  /** Counts a failed poll, reports the device offline and gives the error the poll rejects with. */
  const failed = (error: unknown, reason: string): QingliuError => {
    failures += 1;
    report(false, { error: reason });
    const log = { err: error, failures, retryInMs: retryDelay() };
    if (failures === 1) logger.warn(log, `device ${device.id} at ${where} failed: ${reason}`);
    else logger.debug(log, `device ${device.id} at ${where} still failing: ${reason}`);
    return new QingliuError('DEVICE_UNREACHABLE', `device ${device.id} at ${where}: ${reason}`, { retryable: true, cause: error });
  };

  const poll = async (): Promise<PolledSample[]> => {
    if (closed) throw closedError();
    const ts = clock();
    let c: ModbusRTU | undefined;
    let reading: PollReading;
    try {
      reading = await withClient((used) => {
        c = used;
        return readAll(used, ts);
      });
    } catch (error) {
      if (closed) throw closedError();
      // A Modbus exception is an answer: the connection is fine. Anything else may leave it unusable.
      if (!isModbusException(error)) drop(c ?? client);
      throw failed(error, isNoAnswer(error) ? noAnswerMessage(device.unitId) : describeError(error));
    }
    if (reading.refused) throw failed(reading.refused.cause, reading.refused.reason);
    if (failures > 0) logger.info({ failures }, `device ${device.id} at ${where} answers again`);
    failures = 0;
    logPointChanges(reading.failed);
    report(true, { failedPoints: reading.failed });
    if (reading.samples.length > 0) onSamples(reading.samples);
    return reading.samples;
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
    status: () => status,
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
