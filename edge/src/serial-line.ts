import ModbusSerial from 'modbus-serial';
import type { Logger } from 'pino';

const ModbusRTU = ModbusSerial.default;
type ModbusRTU = InstanceType<typeof ModbusRTU>;

/** A serial port's settings (one RS-485 line; every device on it must agree). */
export interface SerialSettings {
  path: string;
  baudRate: number;
  parity: 'none' | 'even' | 'odd';
  dataBits: 7 | 8;
  stopBits: 1 | 2;
}

/**
 * One RS-485 line shared by the pollers of every unit on it: one open port and
 * one request on the wire at a time (the line is half duplex; a master that
 * sent to two units at once would garble both answers). Each use addresses its
 * own unit id with its own timeout; a unit that does not answer costs the line
 * its timeout and no more, and the pollers' backoff keeps it from costing that often.
 */
export interface SerialLine {
  /**
   * Runs `work` alone on the line, with the client addressed to `unitId`; opens the port if needed.
   * When `work` fails with anything but a Modbus exception (an answer), the port is closed before the
   * next unit's turn (a late answer must not be read as the next one's); it opens again on the next use.
   */
  use<T>(unitId: number, timeoutMs: number, work: (client: ModbusRTU) => Promise<T>): Promise<T>;
  /** One poller is done with the line; the last one closes the port. */
  release(): Promise<void>;
}

const lines = new Map<string, { line: SerialLine; users: number }>();

/** The line of a serial path, shared by every poller in this process that asks for the same path. */
export function acquireSerialLine(settings: SerialSettings, logger: Logger): SerialLine {
  const held = lines.get(settings.path);
  if (held) {
    held.users += 1;
    return held.line;
  }
  const entry = { line: openLine(settings, logger), users: 1 };
  lines.set(settings.path, entry);
  return entry.line;
}

function openLine(settings: SerialSettings, logger: Logger): SerialLine {
  let client: ModbusRTU | undefined;
  let chain: Promise<unknown> = Promise.resolve();

  // destroy() cancels what is pending; close() releases the port.
  const closePort = (c: ModbusRTU): Promise<void> => new Promise<void>((resolve) => c.destroy(() => c.close(() => resolve())));

  const open = async (): Promise<ModbusRTU> => {
    if (client?.isOpen) return client;
    const c = new ModbusRTU();
    c.on('error', (error: unknown) => logger.debug({ err: error, path: settings.path }, 'serial line error'));
    await c.connectRTUBuffered(settings.path, {
      baudRate: settings.baudRate,
      parity: settings.parity,
      dataBits: settings.dataBits,
      stopBits: settings.stopBits,
    });
    c.on('close', () => {
      if (client === c) client = undefined;
    });
    client = c;
    return c;
  };

  const line: SerialLine = {
    use(unitId, timeoutMs, work) {
      const run = async (): Promise<Awaited<ReturnType<typeof work>>> => {
        const c = await open();
        c.setID(unitId);
        c.setTimeout(timeoutMs);
        try {
          return await work(c);
        } catch (error) {
          if (!isModbusException(error)) {
            if (client === c) client = undefined;
            await closePort(c);
          }
          throw error;
        }
      };
      const next = chain.then(run, run);
      chain = next.catch(() => undefined);
      return next;
    },
    async release() {
      const held = lines.get(settings.path);
      if (!held || held.line !== line) return;
      held.users -= 1;
      if (held.users > 0) return;
      lines.delete(settings.path);
      await chain;
      const c = client;
      client = undefined;
      if (c) await closePort(c);
    },
  };
  return line;
}

/** A Modbus exception (modbus-serial sets `modbusCode`) is the device's answer: the link is fine. */
export function isModbusException(error: unknown): boolean {
  return typeof error === 'object' && error !== null && typeof (error as { modbusCode?: unknown }).modbusCode === 'number';
}
