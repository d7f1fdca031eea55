import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { HJ212_WATER_CODES, QingliuError, hj212CodeProblem, idSchema, unitSchema } from '@qingliu/protocol';
import type { Hj212Code } from '@qingliu/protocol';
import { REGISTER_TYPES, REGISTER_WIDTH, WORD_ORDERS } from '@qingliu/protocol';

/** Defaults of the edge config; the comments give the units. */
export const EDGE_DEFAULTS = {
  /** How long to wait for a device's answer (and for a TCP connect), milliseconds. */
  timeoutMs: 1000,
  /** Time from the start of one poll of a device to the start of the next, milliseconds. */
  pollIntervalMs: 1000,
  /** Engineering value = raw * scale + offset; scale is unitless. */
  scale: 1,
  /** Added after scaling, in the point's unit. */
  offset: 0,
  /** Big-endian words and bytes. */
  wordOrder: 'ABCD',
  /** RTU line speed, bits per second. */
  baudRate: 9600,
  /** Where the outbox keeps readings: `disk` (survives kill -9 and power loss) or `memory`. */
  outboxKind: 'disk',
  /** Most bytes the outbox may take, bytes (512 MiB: about 3 million readings). */
  outboxMaxBytes: 512 * 1024 * 1024,
  /** The outbox folder, relative to keyDir unless absolute. */
  outboxDir: 'outbox',
} as const;

/** An HJ 212-2017 water code (protocol's hj212-codes.ts); a bad one is named with the reason. */
const waterCodeSchema = z.string().transform((code, ctx): Hj212Code => {
  const problem = hj212CodeProblem(code);
  if (problem !== undefined) {
    ctx.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  }
  return code as Hj212Code;
});

export const pointConfigSchema = z
  .strictObject({
    /** HJ 212-2017 water code, e.g. w01018 (COD), w00001 (cumulative flow). */
    pollutant: waterCodeSchema,
    /**
     * Which instance of the code, when the device has more than one (a second COD analyzer):
     * the first point of a code has none (the primary instance, the one charged); each further
     * point of the same code needs its own channel id.
     */
    channel: idSchema.optional(),
    /** 3 = read holding registers, 4 = read input registers. */
    functionCode: z.union([z.literal(3), z.literal(4)]),
    /** Zero-based register address (protocol address, not the 4xxxx/3xxxx label). */
    address: z.number().int().min(0).max(0xffff),
    type: z.enum(REGISTER_TYPES),
    wordOrder: z.enum(WORD_ORDERS).default(EDGE_DEFAULTS.wordOrder),
    scale: z.number().refine(Number.isFinite, 'expected a finite number').default(EDGE_DEFAULTS.scale),
    offset: z.number().refine(Number.isFinite, 'expected a finite number').default(EDGE_DEFAULTS.offset),
    /** Unit of the scaled value. Default: the unit Qingliu carries the code in (protocol/README.md). */
    unit: unitSchema.optional(),
  })
  .superRefine((point, ctx) => {
    if (point.address + REGISTER_WIDTH[point.type] > 0x10000) {
      ctx.addIssue({
        code: 'custom',
        path: ['address'],
        message: `a ${point.type} at ${point.address} runs past the last register (65535)`,
      });
    }
  })
  .transform((point) => ({ ...point, unit: point.unit ?? HJ212_WATER_CODES[point.pollutant].unit }));

/** A bit (0 = least significant) of the device's status register. */
const bitSchema = z.number().int().min(0).max(15);

/**
 * An analyzer's status word, read with every poll: when a named bit is set,
 * every reading of that poll carries the matching HJ 212 flag.
 */
export const statusRegisterSchema = z.strictObject({
  functionCode: z.union([z.literal(3), z.literal(4)]),
  address: z.number().int().min(0).max(0xffff),
  /** Bit set during maintenance: flag M. */
  maintenanceBit: bitSchema.optional(),
  /** Bit set while the analyzer reports a fault: flag D. */
  faultBit: bitSchema.optional(),
  /** Bit set during calibration: flag C. */
  calibrationBit: bitSchema.optional(),
});

/**
 * One status bit of the analyzer, read with every poll: a coil (FC 1) or a
 * discrete input (FC 2). While it is active, every reading of the poll
 * carries its flag.
 */
export const statusBitSchema = z.strictObject({
  /** 1 = coil, 2 = discrete input. */
  functionCode: z.union([z.literal(1), z.literal(2)]),
  /** Zero-based bit address (protocol address, not the 0xxxx/1xxxx label). */
  address: z.number().int().min(0).max(0xffff),
  /** HJ 212 flag while the bit is active: M maintenance, D fault, C calibration. */
  flag: z.enum(['M', 'D', 'C']),
  /** The bit is active when 0 (e.g. an "analyzer ready" contact that opens on a fault). Default false: active when 1. */
  activeLow: z.boolean().default(false),
});

const commonDeviceFields = {
  /** Device id: the signing identity, the MQTT topic level and the InfluxDB tag. */
  id: idSchema,
  outfall: idSchema,
  /** Modbus unit id (slave id). */
  unitId: z.number().int().min(0).max(255),
  timeoutMs: z.number().int().positive().default(EDGE_DEFAULTS.timeoutMs),
  pollIntervalMs: z.number().int().positive().default(EDGE_DEFAULTS.pollIntervalMs),
  statusRegister: statusRegisterSchema.optional(),
  /** Coils and discrete inputs that flag a poll's readings; merged into as few reads as possible. */
  statusBits: z.array(statusBitSchema).max(64).optional(),
  points: z.array(pointConfigSchema).min(1),
};

const tcpDeviceSchema = z.strictObject({
  ...commonDeviceFields,
  transport: z.literal('tcp'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
});

const rtuDeviceSchema = z.strictObject({
  ...commonDeviceFields,
  /** Modbus RTU over a serial line. */
  transport: z.literal('rtu'),
  /** The serial device, e.g. /dev/ttyUSB0. */
  path: z.string().min(1),
  baudRate: z.number().int().positive().default(EDGE_DEFAULTS.baudRate),
  parity: z.enum(['none', 'even', 'odd']).default('none'),
  dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
});

export const deviceConfigSchema = z
  .discriminatedUnion('transport', [tcpDeviceSchema, rtuDeviceSchema])
  .superRefine((device, ctx) => {
    // One primary instance per code (no channel), and distinct channel ids for the others.
    const seen = new Set<string>();
    device.points.forEach((point, i) => {
      const key = `${point.pollutant}/${point.channel ?? ''}`;
      if (seen.has(key)) {
        ctx.addIssue({
          code: 'custom',
          path: ['points', i, point.channel === undefined ? 'pollutant' : 'channel'],
          message:
            point.channel === undefined
              ? `${point.pollutant} is already read by an earlier point of this device; give this one a channel id (e.g. channel: ${point.pollutant}-2)`
              : `channel ${point.channel} of ${point.pollutant} is already read by an earlier point of this device`,
        });
      }
      seen.add(key);
    });
    device.points.forEach((point, i) => {
      if (point.channel !== undefined && !seen.has(`${point.pollutant}/`)) {
        ctx.addIssue({
          code: 'custom',
          path: ['points', i, 'channel'],
          message: `${point.pollutant} has no primary point on this device (one without a channel, the one charged); leave the channel out of one of its points`,
        });
      }
    });
  });

export const outboxConfigSchema = z.strictObject({
  kind: z.enum(['disk', 'memory']).default(EDGE_DEFAULTS.outboxKind),
  /** Folder of the disk outbox; relative paths are taken from keyDir. */
  dir: z.string().min(1).default(EDGE_DEFAULTS.outboxDir),
  maxBytes: z.number().int().min(4096).default(EDGE_DEFAULTS.outboxMaxBytes),
});

export const edgeConfigSchema = z
  .strictObject({
    /** MQTT client id of this agent. */
    agentId: idSchema,
    enterprise: idSchema,
    mqtt: z.strictObject({
      /** mqtt://host:port or mqtts://host:port */
      url: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\/\S+$/, 'expected an mqtt://, mqtts://, ws:// or wss:// URL'),
      username: z.string().min(1),
      password: z.string().min(1),
      /**
       * 4 (MQTT 3.1.1, default; aedes speaks only this) or 5. With 5 (Mosquitto, EMQX) the broker
       * says when no subscriber took a batch (PUBACK reason 16, "no matching subscribers", e.g.
       * right after a broker restart, before the ingesters subscribe again): the batch then stays
       * in the outbox and is sent again, instead of being acknowledged to nobody.
       */
      protocolVersion: z.union([z.literal(4), z.literal(5)]).default(4),
      /**
       * QoS of reading batches. 2 (default): exactly once at the broker, through broker outages and
       * agent kill -9 (the session is kept on disk beside the outbox: mqtt-session-store.ts). 1: at
       * least once (the cloud drops a copy by device and seq); use it with protocolVersion 5 on a
       * broker that forgets shared subscriptions over a restart (Mosquitto 2.0): only a PUBACK can
       * say that a batch went to nobody; a QoS 2 batch is routed at PUBREL, after the broker answered.
       */
      qos: z.union([z.literal(1), z.literal(2)]).default(2),
    }),
    /** Folder of the device signing keys and sequence counters. */
    keyDir: z.string().min(1),
    outbox: outboxConfigSchema.default({
      kind: EDGE_DEFAULTS.outboxKind,
      dir: EDGE_DEFAULTS.outboxDir,
      maxBytes: EDGE_DEFAULTS.outboxMaxBytes,
    }),
    devices: z.array(deviceConfigSchema).min(1),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    const serialLines = new Map<string, { index: number; settings: string; units: Set<number> }>();
    config.devices.forEach((device, i) => {
      if (seen.has(device.id)) {
        ctx.addIssue({ code: 'custom', path: ['devices', i, 'id'], message: `device id ${device.id} is used twice` });
      }
      seen.add(device.id);
      if (device.transport === 'rtu') {
        // Several units on one RS-485 line share its port: one setting for all, one unit id each.
        const settings = `${device.baudRate} baud, ${device.dataBits} data bits, parity ${device.parity}, ${device.stopBits} stop bits`;
        const line = serialLines.get(device.path);
        if (!line) {
          serialLines.set(device.path, { index: i, settings, units: new Set([device.unitId]) });
        } else if (line.settings !== settings) {
          ctx.addIssue({
            code: 'custom',
            path: ['devices', i, 'path'],
            message: `${device.path} is set to ${line.settings} by devices.${line.index}; every unit on one serial line must use the same settings (here ${settings})`,
          });
        } else if (line.units.has(device.unitId)) {
          ctx.addIssue({
            code: 'custom',
            path: ['devices', i, 'unitId'],
            message: `unit ${device.unitId} is used twice on ${device.path}; units on one serial line need distinct ids`,
          });
        } else {
          line.units.add(device.unitId);
        }
      }
    });
  })
  .transform((config) => ({
    ...config,
    outbox: { ...config.outbox, dir: config.outbox.dir.startsWith('/') ? config.outbox.dir : join(config.keyDir, config.outbox.dir) },
  }));

/** The edge agent's config, defaults filled in. */
export type EdgeConfig = z.output<typeof edgeConfigSchema>;
/** The edge agent's config as written (defaults may be left out). */
export type EdgeConfigInput = z.input<typeof edgeConfigSchema>;
export type DeviceConfig = EdgeConfig['devices'][number];
export type PointConfig = DeviceConfig['points'][number];
export type StatusRegisterConfig = NonNullable<DeviceConfig['statusRegister']>;
export type StatusBitConfig = NonNullable<DeviceConfig['statusBits']>[number];
export type OutboxConfig = EdgeConfig['outbox'];

/**
 * Checks `input` against the edge config schema and fills in defaults.
 * Throws QingliuError('CONFIG_INVALID') naming the path of the first bad
 * field (e.g. `devices.0.points.1.type`) and why; the details list every issue.
 */
export function parseEdgeConfig(input: unknown): EdgeConfig {
  const result = edgeConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
  throw new QingliuError('CONFIG_INVALID', `invalid edge config: ${issues[0]}`, {
    details: issues.join('\n'),
    cause: result.error,
  });
}

/** Reads a YAML edge config file and parses it like parseEdgeConfig. */
export async function loadEdgeConfig(path: string): Promise<EdgeConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new QingliuError('CONFIG_INVALID', `cannot read edge config ${path}`, { cause: error });
  }
  let input: unknown;
  try {
    input = parseYaml(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new QingliuError('CONFIG_INVALID', `edge config ${path} is not valid YAML`, { details: reason, cause: error });
  }
  try {
    return parseEdgeConfig(input);
  } catch (error) {
    if (error instanceof QingliuError) {
      throw new QingliuError('CONFIG_INVALID', `${error.shortMessage} (in ${path})`, {
        ...(error.details === undefined ? {} : { details: error.details }),
        cause: error.cause,
      });
    }
    throw error;
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}
