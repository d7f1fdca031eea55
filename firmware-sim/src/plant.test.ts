/** The simulated plant as seen by a plain Modbus TCP client on loopback. */
import ModbusSerial from 'modbus-serial';
import { createOutfallModel } from './outfall-model.js';
import { startModbusDevice } from './modbus-device.js';
import { LAYOUTS, encodePoint } from './register-map.js';
import { defaultPlant, startPlant } from './plant.js';

const ModbusRTU = ModbusSerial.default;
const T0 = Date.UTC(2024, 5, 1, 0, 30, 0);

async function connect(port: number, unitId: number): Promise<InstanceType<typeof ModbusRTU>> {
  const client = new ModbusRTU();
  client.on('error', () => undefined);
  client.setTimeout(1000);
  await client.connectTCP('127.0.0.1', { port });
  client.setID(unitId);
  return client;
}

const closeClient = (client: InstanceType<typeof ModbusRTU>): Promise<void> =>
  new Promise((resolve) => client.close(() => resolve()));

describe('simulated Modbus device', () => {
  it('serves the model values at the clock time, encoded by its layout', async () => {
    const model = createOutfallModel({ seed: 5 });
    const device = await startModbusDevice({ unitId: 3, layout: 'badc-mixed', model, clock: () => T0 });
    const client = await connect(device.port, 3);
    try {
      expect(device.port).toBeGreaterThan(0);
      const values = model.valuesAt(T0);
      const [flow, cod, ph, nh3, tp] = LAYOUTS['badc-mixed'].points;
      const ir = await client.readInputRegisters(1000, 4);
      expect(ir.data).toEqual([...encodePoint(flow!, values.w00000), ...encodePoint(cod!, values.w01018)]);
      const hr = await client.readHoldingRegisters(0, 4);
      expect(hr.data).toEqual([
        ...encodePoint(ph!, values.w01001),
        ...encodePoint(nh3!, values.w21003),
        ...encodePoint(tp!, values.w21011),
      ]);
      const single = await client.readHoldingRegisters(1, 1);
      expect(single.data).toEqual(encodePoint(nh3!, values.w21003));
    } finally {
      await closeClient(client);
      await device.close();
    }
  });

  it('answers a read of an unmapped register with exception 2 (illegal data address)', async () => {
    const device = await startModbusDevice({ unitId: 1, layout: 'abcd-compact', model: createOutfallModel({ seed: 1 }) });
    const client = await connect(device.port, 1);
    try {
      await expect(client.readInputRegisters(3, 2)).rejects.toMatchObject({ modbusCode: 2 });
      await expect(client.readHoldingRegisters(500, 1)).rejects.toMatchObject({ modbusCode: 2 });
    } finally {
      await closeClient(client);
      await device.close();
    }
  });

  it('fails to start on a port already in use', async () => {
    const first = await startModbusDevice({ unitId: 1, layout: 'abcd-compact', model: createOutfallModel({ seed: 1 }) });
    try {
      await expect(
        startModbusDevice({ port: first.port, unitId: 1, layout: 'abcd-compact', model: createOutfallModel({ seed: 1 }) }),
      ).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await first.close();
    }
  });
});

describe('simulated plant', () => {
  it('starts the default plant: two enterprises, three outfalls, each on its own port and layout', async () => {
    const plant = await startPlant(defaultPlant());
    try {
      expect(new Set(plant.devices.map((d) => d.enterprise))).toEqual(new Set(['ent-a', 'ent-b']));
      expect(plant.devices).toHaveLength(3);
      expect(new Set(plant.devices.map((d) => d.port)).size).toBe(3);
      expect(new Set(plant.devices.map((d) => d.layout)).size).toBe(3);
      for (const d of plant.devices) {
        const client = await connect(d.port, d.unitId);
        try {
          const first = d.points[0]!;
          const answer = first.functionCode === 3
            ? await client.readHoldingRegisters(first.address, 2)
            : await client.readInputRegisters(first.address, 2);
          expect(answer.data).toHaveLength(2);
        } finally {
          await closeClient(client);
        }
      }
    } finally {
      await plant.close();
    }
  });

  it('gives each outfall its own values, the same from run to run', async () => {
    const first = await startPlant({ ...defaultPlant(), clock: () => T0 });
    await first.close();
    const second = await startPlant({ ...defaultPlant(), clock: () => T0 });
    await second.close();
    const flows = (plant: typeof first) => plant.devices.map((d) => d.model.valuesAt(T0).w00000);
    expect(flows(second)).toEqual(flows(first));
    expect(new Set(flows(first)).size).toBe(3);
  });
});
