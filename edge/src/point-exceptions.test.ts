/**
 * Commissioning a device whose register map is partly wrong: the device answers one point with a
 * Modbus exception. Against firmware-sim (a real Modbus TCP server on loopback), which answers a
 * register it lacks with exception 02 (illegal data address).
 */
import { createOutfallModel, describePoints, startModbusDevice } from '@qingliu/firmware-sim';
import type { ModbusDevice } from '@qingliu/firmware-sim';
import { isQingliuError } from '@qingliu/protocol';
import { parseEdgeConfig } from './config.js';
import type { DeviceConfig } from './config.js';
import { createDevicePoller } from './modbus-poller.js';
import { logSink } from './test-support/log-sink.js';
import type { DeviceStatus, PolledSample } from './modbus-poller.js';

const T0 = Date.UTC(2024, 5, 1, 1, 0, 0);

function deviceConfig(device: ModbusDevice, points: unknown[]): DeviceConfig {
  return parseEdgeConfig({
    agentId: 'edge-x',
    enterprise: 'ent-x',
    mqtt: { url: 'mqtt://127.0.0.1:1', username: 'u', password: 'p' },
    keyDir: '/tmp/unused',
    devices: [{ id: 'dev-x', outfall: 'out-x', transport: 'tcp', host: device.host, port: device.port, unitId: device.unitId, timeoutMs: 500, points }],
  }).devices[0]!;
}

describe('a point the device answers with a Modbus exception', () => {
  let device: ModbusDevice;
  const model = createOutfallModel({ seed: 5 });
  beforeAll(async () => {
    // abcd-compact: flow and COD as float32 at input registers 0-3; NH3-N and pH at holding registers 0-1.
    device = await startModbusDevice({ unitId: 3, layout: 'abcd-compact', model, clock: () => T0 });
  });
  afterAll(async () => {
    await device.close();
  });

  it('costs only that point: the others are read and handed on, and the status names it by function code, address and exception', async () => {
    // A permanganate index the map places right after COD, where the device has no register: read in one request
    // with flow and COD (input registers 0-5), which the device refuses as a whole.
    const missing = { pollutant: 'w01019', functionCode: 4, address: 4, type: 'float32' };
    const { logger, lines } = logSink();
    const handedOn: PolledSample[][] = [];
    const statuses: DeviceStatus[] = [];
    const poller = createDevicePoller({
      device: deviceConfig(device, [...describePoints('abcd-compact'), missing]),
      onSamples: (samples) => handedOn.push(samples),
      onStatus: (status) => statuses.push(status),
      logger,
      clock: () => T0,
    });
    try {
      const first = await poller.pollOnce();
      const second = await poller.pollOnce();
      const truth = model.valuesAt(T0);
      for (const samples of [first, second]) {
        expect(Object.fromEntries(samples.map((s) => [s.pollutant, s.value]))).toEqual({
          w00000: expect.closeTo(truth.w00000, 3),
          w01018: expect.closeTo(truth.w01018, 4),
          w21003: expect.closeTo(truth.w21003, 2),
          w01001: expect.closeTo(truth.w01001, 2),
        });
      }
      expect(handedOn).toEqual([first, second]);

      const failure = {
        pollutant: 'w01019',
        functionCode: 4,
        address: 4,
        exception: 2,
        error: 'FC 4 address 4 (w01019): Modbus exception 2, illegal data address (非法数据地址)',
      };
      expect(poller.status()).toEqual({ online: true, since: expect.any(Number), failedPoints: [failure] });
      // Reported once (it did not change at the second poll), and warned about once.
      expect(statuses).toEqual([{ online: true, since: expect.any(Number), failedPoints: [failure] }]);
      const warnings = lines.filter((l) => l.level === 40);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.msg).toContain(failure.error);
    } finally {
      await poller.close();
    }
  });

  it('reads the point again once the device has it, and says so', async () => {
    const first = await startModbusDevice({ unitId: 3, layout: 'abcd-compact', model, clock: () => T0 });
    const { logger, lines } = logSink();
    const statuses: DeviceStatus[] = [];
    const extra = { pollutant: 'w01019', functionCode: 4, address: 4, type: 'float32' } as const;
    const poller = createDevicePoller({
      device: deviceConfig(first, [...describePoints('abcd-compact'), extra]),
      onSamples: () => undefined,
      onStatus: (s) => statuses.push(s),
      logger,
      clock: () => T0,
    });
    let second: ModbusDevice | undefined;
    try {
      expect(await poller.pollOnce()).toHaveLength(4);
      expect(poller.status()?.failedPoints?.map((f) => [f.functionCode, f.address, f.exception])).toEqual([[4, 4, 2]]);
      // The analyzer is replaced by one that has the register (it serves COD there too).
      await first.close();
      const layout = { name: 'with-extra', description: 'abcd-compact and COD again at IR 4-5', points: [...describePoints('abcd-compact'), { ...describePoints('abcd-compact')[1]!, address: 4 }] };
      second = await startModbusDevice({ port: first.port, unitId: 3, layout, model, clock: () => T0 });
      await poller.pollOnce().catch(() => undefined); // the old connection is found closed
      const samples = await poller.pollOnce();
      expect(samples.map((s) => s.pollutant).sort()).toEqual(['w00000', 'w01001', 'w01018', 'w01019', 'w21003']);
      expect(poller.status()).toEqual({ online: true, since: expect.any(Number) });
      expect(statuses.at(-1)).toEqual({ online: true, since: expect.any(Number) });
      expect(lines.some((l) => l.level === 30 && l.msg.includes('FC 4 address 4 (w01019) reads again'))).toBe(true);
    } finally {
      await poller.close();
      await second?.close();
    }
  });

  it('fails the poll when the device refuses every point, naming each', async () => {
    const poller = createDevicePoller({
      device: deviceConfig(device, [
        { pollutant: 'w00000', functionCode: 4, address: 40, type: 'float32' },
        { pollutant: 'w01018', functionCode: 3, address: 50, type: 'int16' },
      ]),
      onSamples: () => undefined,
    });
    try {
      const error: unknown = await poller.pollOnce().catch((e: unknown) => e);
      expect(isQingliuError(error, 'DEVICE_UNREACHABLE')).toBe(true);
      expect((error as Error).message).toContain('every point was refused: ');
      expect((error as Error).message).toContain('FC 4 address 40 (w00000): Modbus exception 2, illegal data address (非法数据地址)');
      expect((error as Error).message).toContain('FC 3 address 50 (w01018): Modbus exception 2');
      expect(poller.status()).toMatchObject({ online: false });
    } finally {
      await poller.close();
    }
  });
});
