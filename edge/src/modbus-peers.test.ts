/**
 * The edge poller and the simulated devices against independent Modbus
 * implementations: pymodbus (Python) as a server over TCP and over RTU
 * through a socat serial pair, and mbpoll (C, libmodbus) as a client.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { LAYOUT_NAMES, createOutfallModel, encodePoint, startModbusDevice } from '@qingliu/firmware-sim';
import { WORD_ORDERS } from '@qingliu/protocol';
import type { RegisterType, WordOrder } from '@qingliu/protocol';
import { freePort } from '@qingliu/testkit';
import { parseEdgeConfig } from './config.js';
import type { DeviceConfig } from './config.js';
import { createDevicePoller } from './modbus-poller.js';
import { startPyModbus, startSerialPair } from './test-support/peer-processes.js';

/** What pymodbus-server.py serves in every unit (encoded there with Python's struct). */
const IMAGE: { type: RegisterType; address: number; pollutant: string; functionCode: 3 | 4; value: number }[] = [
  { type: 'int16', address: 0, pollutant: 'w01018', functionCode: 3, value: -12345 },
  { type: 'uint16', address: 1, pollutant: 'w21003', functionCode: 3, value: 54321 },
  { type: 'int32', address: 2, pollutant: 'w01001', functionCode: 3, value: -123456789 },
  { type: 'uint32', address: 4, pollutant: 'w21011', functionCode: 4, value: 3123456789 },
  // Decoded at float32 precision: the shortest decimal that is the same float32 (123.45600128173828 exactly).
  { type: 'float32', address: 6, pollutant: 'w00000', functionCode: 4, value: 123.456 },
  { type: 'float64', address: 8, pollutant: 'w21001', functionCode: 4, value: -98765.4321 },
];
const UNIT_OF_ORDER: Record<WordOrder, number> = { ABCD: 1, CDAB: 2, BADC: 3, DCBA: 4 };

function pymodbusDevice(order: WordOrder, link: { host: string; port: number } | { path: string }): DeviceConfig {
  const transport = 'path' in link ? { transport: 'rtu', path: link.path, baudRate: 19200 } : { transport: 'tcp', ...link };
  return parseEdgeConfig({
    agentId: 'edge-peers',
    enterprise: 'ent-p',
    mqtt: { url: 'mqtt://127.0.0.1:1', username: 'u', password: 'p' },
    keyDir: '/tmp/unused',
    devices: [
      {
        id: `py-${order}`,
        outfall: 'out-1',
        ...transport,
        unitId: UNIT_OF_ORDER[order],
        timeoutMs: 1000,
        points: IMAGE.map(({ type, address, pollutant, functionCode }) => ({ type, address, pollutant, functionCode, wordOrder: order })),
      },
    ],
  }).devices[0]!;
}

async function pollAndCompare(device: DeviceConfig): Promise<void> {
  const poller = createDevicePoller({ device, onSamples: () => undefined });
  try {
    const samples = await poller.pollOnce();
    const got = Object.fromEntries(samples.map((s) => [s.pollutant, s.value]));
    const want = Object.fromEntries(IMAGE.map((p) => [p.pollutant, p.value]));
    expect({ order: device.points[0]!.wordOrder, values: got }).toEqual({ order: device.points[0]!.wordOrder, values: want });
  } finally {
    await poller.close();
  }
}

describe('poller against pymodbus over Modbus TCP', () => {
  it.each(WORD_ORDERS.map((o) => [o]))('decodes every register type in %s order exactly as pymodbus encoded it', async (order: WordOrder) => {
    const port = await freePort();
    const server = await startPyModbus(['tcp', String(port)]);
    try {
      await pollAndCompare(pymodbusDevice(order, { host: '127.0.0.1', port }));
    } finally {
      await server.stop();
    }
  });
});

/** The coils pymodbus-server.py serves at 0-12; its discrete inputs are their complement. */
const BITS = [1, 0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 1].map(Boolean);

describe('status bits against pymodbus', () => {
  it('reads coils and discrete inputs bit by bit, in one merged request, as pymodbus packs them', async () => {
    const port = await freePort();
    const server = await startPyModbus(['tcp', String(port)]);
    try {
      for (const functionCode of [1, 2] as const) {
        const served = functionCode === 1 ? BITS : BITS.map((b) => !b);
        const flags: string[] = [];
        for (let probe = 0; probe < served.length; probe++) {
          // The probed bit raises D when set; every other bit raises C when it differs from what is served (it never should).
          const statusBits = served.map((bit, address) =>
            address === probe ? { functionCode, address, flag: 'D' } : { functionCode, address, flag: 'C', activeLow: bit },
          );
          const device = { ...pymodbusDevice('ABCD', { host: '127.0.0.1', port }), statusBits: parseBits(statusBits) };
          const poller = createDevicePoller({ device, onSamples: () => undefined });
          try {
            flags.push((await poller.pollOnce())[0]!.flag);
          } finally {
            await poller.close();
          }
        }
        expect({ functionCode, flags }).toEqual({ functionCode, flags: served.map((bit) => (bit ? 'D' : 'N')) });
      }
    } finally {
      await server.stop();
    }
  });
});

function parseBits(bits: unknown[]): DeviceConfig['statusBits'] {
  return parseEdgeConfig({
    agentId: 'edge-peers',
    enterprise: 'ent-p',
    mqtt: { url: 'mqtt://127.0.0.1:1', username: 'u', password: 'p' },
    keyDir: '/tmp/unused',
    devices: [{ id: 'd', outfall: 'o', transport: 'tcp', host: '127.0.0.1', port: 1, unitId: 1, statusBits: bits, points: [{ pollutant: 'w01018', functionCode: 3, address: 0, type: 'int16' }] }],
  }).devices[0]!.statusBits;
}

describe('poller against pymodbus over Modbus RTU through a socat serial pair', () => {
  it('decodes every type in CDAB and DCBA order from an RTU unit on a serial line', async () => {
    const line = await startSerialPair();
    try {
      const server = await startPyModbus(['rtu', line.ends[0], '19200']);
      try {
        await pollAndCompare(pymodbusDevice('CDAB', { path: line.ends[1] }));
        await pollAndCompare(pymodbusDevice('DCBA', { path: line.ends[1] }));
      } finally {
        await server.stop();
      }
    } finally {
      await line.stop();
    }
  });
});

describe('poller against pymodbus: several units on one RTU line (multi-drop) through a socat serial pair', () => {
  it('polls four units at once, one per word order, and a fifth unit nobody serves: each decodes its own values, the fifth fails alone', async () => {
    const line = await startSerialPair();
    try {
      const server = await startPyModbus(['rtu', line.ends[0], '19200']);
      const units = WORD_ORDERS.map((order) => pymodbusDevice(order, { path: line.ends[1] }));
      const absent: DeviceConfig = { ...pymodbusDevice('ABCD', { path: line.ends[1] }), id: 'py-absent', unitId: 9, timeoutMs: 300 };
      const pollers = [...units, absent].map((device) => createDevicePoller({ device, onSamples: () => undefined }));
      const want = Object.fromEntries(IMAGE.map((p) => [p.pollutant, p.value]));
      try {
        for (let round = 0; round < 3; round += 1) {
          // All at once: the line must put one request on the wire at a time, or the answers would mix.
          const results = await Promise.allSettled(pollers.map((poller) => poller.pollOnce()));
          const got = results.map((r, i) => ({
            device: [...units, absent][i]!.id,
            values: r.status === 'fulfilled' ? Object.fromEntries(r.value.map((s) => [s.pollutant, s.value])) : 'failed',
          }));
          expect(got).toEqual([...units.map((u) => ({ device: u.id, values: want })), { device: 'py-absent', values: 'failed' }]);
        }
      } finally {
        await Promise.all(pollers.map((poller) => poller.close()));
        await server.stop();
      }
    } finally {
      await line.stop();
    }
  }, 30_000);
});

describe('mbpoll (libmodbus) reading firmware-sim', () => {
  const run = promisify(execFile);
  const T0 = Date.UTC(2024, 5, 1, 2, 0, 0);

  it.each(LAYOUT_NAMES.map((n) => [n]))('reads the %s layout register by register as the register map encodes it', async (layout) => {
    const model = createOutfallModel({ seed: 21 });
    const device = await startModbusDevice({ unitId: 9, layout, model, clock: () => T0 });
    try {
      for (const point of device.layout.points) {
        const expected = encodePoint(point, model.valuesAt(T0)[point.pollutant]);
        const args = ['-m', 'tcp', '-a', '9', '-0', '-1', '-o', '1', '-t', point.functionCode === 3 ? '4:hex' : '3:hex'];
        args.push('-r', String(point.address), '-c', String(expected.length), '-p', String(device.port), '127.0.0.1');
        const { stdout } = await run('mbpoll', args).catch((error: unknown) => {
          throw new Error(`mbpoll failed (needs the Debian package mbpoll): ${String(error)}`);
        });
        const words = [...stdout.matchAll(/^\[\d+\]:\s+0x([0-9A-F]{4})/gm)].map((m) => parseInt(m[1]!, 16));
        expect({ pollutant: point.pollutant, words }).toEqual({ pollutant: point.pollutant, words: expected });
      }
    } finally {
      await device.close();
    }
  });
});
