/**
 * Status bits (coils, FC 1, and discrete inputs, FC 2) read from a simulated
 * analyzer on loopback: each active bit flags every reading of the poll.
 */
import { STATUS_BITS, STATUS_REGISTER, createOutfallModel, describePoints, startModbusDevice } from '@qingliu/firmware-sim';
import type { DeviceCondition, ModbusDevice } from '@qingliu/firmware-sim';
import { isQingliuError } from '@qingliu/protocol';
import { parseEdgeConfig } from './config.js';
import type { DeviceConfig } from './config.js';
import { createDevicePoller } from './modbus-poller.js';

const T0 = Date.UTC(2024, 5, 1, 1, 0, 0);

function deviceConfig(device: ModbusDevice, extra: Record<string, unknown>): DeviceConfig {
  return parseEdgeConfig({
    agentId: 'edge-test',
    enterprise: 'ent-test',
    mqtt: { url: 'mqtt://127.0.0.1:1883', username: 'u', password: 'p' },
    keyDir: '/tmp/unused',
    devices: [{ id: 'dev-1', outfall: 'out-1', transport: 'tcp', host: device.host, port: device.port, unitId: device.unitId, points: describePoints('abcd-compact'), ...extra }],
  }).devices[0]!;
}

describe('status bits from firmware-sim', () => {
  let condition: DeviceCondition = {};
  let device: ModbusDevice;
  beforeAll(async () => {
    device = await startModbusDevice({ unitId: 3, layout: 'abcd-compact', model: createOutfallModel({ seed: 5 }), clock: () => T0, condition: () => condition });
  });
  afterAll(() => device.close());

  it.each<[string, DeviceCondition, string]>([
    ['nothing', {}, 'N'],
    ['maintenance (coil 900)', { maintenance: true }, 'M'],
    ['an analyzer fault (discrete inputs 901 and 903)', { analyzerFault: true }, 'D'],
    ['calibration (discrete input 902)', { calibration: true }, 'C'],
    ['maintenance during calibration', { maintenance: true, calibration: true }, 'M'],
    ['a fault during maintenance', { maintenance: true, analyzerFault: true }, 'D'],
  ])('flags every reading of a poll during %s: %s', async (_name, set, flag) => {
    condition = set;
    const poller = createDevicePoller({ device: deviceConfig(device, { statusBits: STATUS_BITS }), onSamples: () => undefined });
    try {
      const samples = await poller.pollOnce();
      expect(samples.length).toBe(4);
      expect(samples.map((s) => s.flag)).toEqual(samples.map(() => flag));
    } finally {
      await poller.close();
    }
  });

  it('takes an active-low bit as active when 0, and combines bits with the status register (fault wins)', async () => {
    const readyOnly = [STATUS_BITS[3]];
    const poller = createDevicePoller({ device: deviceConfig(device, { statusBits: readyOnly, statusRegister: STATUS_REGISTER }), onSamples: () => undefined });
    try {
      condition = {};
      expect((await poller.pollOnce())[0]!.flag).toBe('N');
      condition = { analyzerFault: true };
      expect((await poller.pollOnce())[0]!.flag).toBe('D');
      condition = { calibration: true }; // from the status register only
      expect((await poller.pollOnce())[0]!.flag).toBe('C');
    } finally {
      await poller.close();
    }
  });

  it('fails the poll when a configured bit does not exist on the device (exception 02)', async () => {
    condition = {};
    const poller = createDevicePoller({
      device: deviceConfig(device, { statusBits: [{ functionCode: 2, address: 950, flag: 'D' }] }),
      onSamples: () => undefined,
    });
    try {
      const error = await poller.pollOnce().then(() => undefined, (e: unknown) => e);
      expect(isQingliuError(error, 'DEVICE_UNREACHABLE')).toBe(true);
      expect(String((error as Error).message)).toMatch(/illegal data address|exception/i);
    } finally {
      await poller.close();
    }
  });
});
