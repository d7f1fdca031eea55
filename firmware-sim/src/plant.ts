import type { Logger } from 'pino';
import { STATUS_BITS, STATUS_REGISTER, startModbusDevice } from './modbus-device.js';
import type { ModbusDevice } from './modbus-device.js';
import { createOutfallModel } from './outfall-model.js';
import type { OutfallModel } from './outfall-model.js';
import { describePoints, resolveLayout } from './register-map.js';
import type { LayoutName, RegisterLayout, RegisterPoint } from './register-map.js';
import type { ScenarioEvent } from './scenario.js';
import { conditionAt, withEvents } from './scenario-model.js';

export interface OutfallSpec {
  enterprise: string;
  outfall: string;
  /** Device id, as the edge config and the cloud's registry name it. */
  device: string;
  /** Default: derived from the device id, so each outfall differs but repeats run to run. */
  seed?: number;
  /** Default 'abcd-compact'. */
  layout?: LayoutName | RegisterLayout;
  /** Default 1. */
  unitId?: number;
  /** Default 0 (any free port). */
  port?: number;
  /** Mean daily flow, m3/h. Default: drawn from the seed. */
  baseFlow?: number;
}

export interface PlantSpec {
  outfalls: readonly OutfallSpec[];
  /** Default 127.0.0.1. */
  host?: string;
  /** Time the models are read at, milliseconds since the epoch. Default Date.now. */
  clock?: () => number;
  /** Scripted events (illegal discharge, analyzer faults); each applies to its outfall. */
  events?: readonly ScenarioEvent[];
  logger?: Logger;
}

export interface PlantDevice {
  enterprise: string;
  outfall: string;
  device: string;
  host: string;
  port: number;
  unitId: number;
  layout: string;
  /** The device's points in the edge config's `points` shape. */
  points: RegisterPoint[];
  /** Its status word, in the edge config's `statusRegister` shape. */
  statusRegister: typeof STATUS_REGISTER;
  /** Its status coil and discrete inputs, in the edge config's `statusBits` shape. */
  statusBits: typeof STATUS_BITS;
  /** The model the device serves: the outfall's model with its scenario events applied. */
  model: OutfallModel;
}

export interface Plant {
  devices: PlantDevice[];
  /** Stops every device. */
  close(): Promise<void>;
}

/** Two enterprises, three outfalls, three different layouts and word orders. */
export function defaultPlant(): PlantSpec {
  return {
    outfalls: [
      { enterprise: 'ent-a', outfall: 'ent-a-dw001', device: 'ent-a-dw001-mon', layout: 'abcd-compact', unitId: 1 },
      { enterprise: 'ent-a', outfall: 'ent-a-dw002', device: 'ent-a-dw002-mon', layout: 'cdab-split', unitId: 2 },
      { enterprise: 'ent-b', outfall: 'ent-b-dw001', device: 'ent-b-dw001-mon', layout: 'dcba-wide', unitId: 1 },
    ],
  };
}

/** Starts one Modbus device per outfall; resolves when all listen. */
export async function startPlant(spec: PlantSpec): Promise<Plant> {
  const host = spec.host ?? '127.0.0.1';
  const started: { spec: OutfallSpec; device: ModbusDevice; model: OutfallModel }[] = [];
  try {
    for (const outfall of spec.outfalls) {
      const events = (spec.events ?? []).filter((e) => e.outfall === outfall.outfall);
      const model = withEvents(
        createOutfallModel({
          seed: outfall.seed ?? seedFrom(outfall.device),
          ...(outfall.baseFlow === undefined ? {} : { baseFlow: outfall.baseFlow }),
        }),
        events,
      );
      const device = await startModbusDevice({
        host,
        port: outfall.port ?? 0,
        unitId: outfall.unitId ?? 1,
        layout: resolveLayout(outfall.layout ?? 'abcd-compact'),
        model,
        ...(spec.clock ? { clock: spec.clock } : {}),
        ...(events.length > 0 ? { condition: (ts: number) => conditionAt(events, ts) } : {}),
        ...(spec.logger ? { logger: spec.logger.child({ device: outfall.device }) } : {}),
      });
      started.push({ spec: outfall, device, model });
    }
  } catch (error) {
    await Promise.all(started.map(({ device }) => device.close()));
    throw error;
  }

  return {
    devices: started.map(({ spec: outfall, device, model }) => ({
      enterprise: outfall.enterprise,
      outfall: outfall.outfall,
      device: outfall.device,
      host: device.host,
      port: device.port,
      unitId: device.unitId,
      layout: device.layout.name,
      points: describePoints(device.layout),
      statusRegister: STATUS_REGISTER,
      statusBits: STATUS_BITS,
      model,
    })),
    async close() {
      await Promise.all(started.map(({ device }) => device.close()));
    },
  };
}

/** FNV-1a of the text: a stable seed per device id. */
function seedFrom(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  }
  return hash >>> 0;
}
