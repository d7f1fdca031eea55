import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { POLLUTANTS, POLLUTANT_CODES, QingliuError, idSchema } from '@qingliu/protocol';
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
} as const;

export const pointConfigSchema = z
  .strictObject({
    /** HJ 212 pollutant code, e.g. w01018 (COD). */
    pollutant: z.enum(POLLUTANT_CODES),
    /** 3 = read holding registers, 4 = read input registers. */
    functionCode: z.union([z.literal(3), z.literal(4)]),
    /** Zero-based register address (protocol address, not the 4xxxx/3xxxx label). */
    address: z.number().int().min(0).max(0xffff),
    type: z.enum(REGISTER_TYPES),
    wordOrder: z.enum(WORD_ORDERS).default(EDGE_DEFAULTS.wordOrder),
    scale: z.number().refine(Number.isFinite, 'expected a finite number').default(EDGE_DEFAULTS.scale),
    offset: z.number().refine(Number.isFinite, 'expected a finite number').default(EDGE_DEFAULTS.offset),
    /** Unit of the scaled value. Default: the unit Qingliu carries the pollutant in. */
    unit: z.string().min(1).max(16).optional(),
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
  .transform((point) => ({ ...point, unit: point.unit ?? POLLUTANTS[point.pollutant].unit }));

export const deviceConfigSchema = z
  .strictObject({
    /** Device id: the signing identity, the MQTT topic level and the InfluxDB tag. */
    id: idSchema,
    outfall: idSchema,
    transport: z.literal('tcp'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    /** Modbus unit id (slave id). */
    unitId: z.number().int().min(0).max(255),
    timeoutMs: z.number().int().positive().default(EDGE_DEFAULTS.timeoutMs),
    pollIntervalMs: z.number().int().positive().default(EDGE_DEFAULTS.pollIntervalMs),
    points: z.array(pointConfigSchema).min(1),
  })
  .superRefine((device, ctx) => {
    const seen = new Set<string>();
    device.points.forEach((point, i) => {
      if (seen.has(point.pollutant)) {
        ctx.addIssue({
          code: 'custom',
          path: ['points', i, 'pollutant'],
          message: `${point.pollutant} is already read by an earlier point of this device`,
        });
      }
      seen.add(point.pollutant);
    });
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
    }),
    /** Folder of the device signing keys and sequence counters. */
    keyDir: z.string().min(1),
    devices: z.array(deviceConfigSchema).min(1),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.devices.forEach((device, i) => {
      if (seen.has(device.id)) {
        ctx.addIssue({ code: 'custom', path: ['devices', i, 'id'], message: `device id ${device.id} is used twice` });
      }
      seen.add(device.id);
    });
  });

/** The edge agent's config, defaults filled in. */
export type EdgeConfig = z.output<typeof edgeConfigSchema>;
/** The edge agent's config as written (defaults may be left out). */
export type EdgeConfigInput = z.input<typeof edgeConfigSchema>;
export type DeviceConfig = EdgeConfig['devices'][number];
export type PointConfig = DeviceConfig['points'][number];

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
