import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isQingliuError } from '@qingliu/protocol';
import { EDGE_DEFAULTS, loadEdgeConfig, parseEdgeConfig } from './config.js';

const SAMPLE = join(dirname(fileURLToPath(import.meta.url)), '..', 'edge.sample.yaml');

function validConfig(): Record<string, unknown> {
  return {
    agentId: 'edge-1',
    enterprise: 'ent-a',
    mqtt: { url: 'mqtt://127.0.0.1:1883', username: 'edge-1', password: 'secret' },
    keyDir: '/tmp/keys',
    devices: [
      {
        id: 'dev-1',
        outfall: 'out-1',
        transport: 'tcp',
        host: '127.0.0.1',
        port: 5020,
        unitId: 1,
        points: [
          { pollutant: 'w00000', functionCode: 4, address: 0, type: 'float32' },
          { pollutant: 'w01001', functionCode: 3, address: 0, type: 'int16', scale: 0.01 },
        ],
      },
    ],
  };
}

function configError(input: unknown): Error & { code?: string } {
  try {
    parseEdgeConfig(input);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the config to be rejected');
}

describe('parseEdgeConfig', () => {
  it('fills in the defaults', () => {
    const config = parseEdgeConfig(validConfig());
    const device = config.devices[0]!;
    expect(device.timeoutMs).toBe(EDGE_DEFAULTS.timeoutMs);
    expect(device.pollIntervalMs).toBe(EDGE_DEFAULTS.pollIntervalMs);
    expect(device.points[0]).toEqual({
      pollutant: 'w00000',
      functionCode: 4,
      address: 0,
      type: 'float32',
      wordOrder: 'ABCD',
      scale: 1,
      offset: 0,
      unit: 'm3/h',
    });
    expect(device.points[1]!.unit).toBe('pH');
  });

  it('names the path of a bad field and why', () => {
    const input = validConfig();
    (input['devices'] as { points: Record<string, unknown>[] }[])[0]!.points[1]!['type'] = 'int8';
    const error = configError(input);
    expect(isQingliuError(error, 'CONFIG_INVALID')).toBe(true);
    expect(error.message).toContain('devices.0.points.1.type');
    expect(error.message).toMatch(/int16/);
  });

  it('rejects an unknown word order, pollutant and function code with their paths', () => {
    const input = validConfig();
    const point = (input['devices'] as { points: Record<string, unknown>[] }[])[0]!.points[0]!;
    Object.assign(point, { wordOrder: 'ADBC', pollutant: 'w99999', functionCode: 6 });
    const { message } = configError(input);
    expect(message).toContain('devices.0.points.0.wordOrder');
    expect(message).toContain('devices.0.points.0.pollutant');
    expect(message).toContain('devices.0.points.0.functionCode');
  });

  it('takes coils and discrete inputs as status bits, and names a bad one by its path', () => {
    const input = validConfig();
    const device = (input['devices'] as Record<string, unknown>[])[0]!;
    device['statusBits'] = [
      { functionCode: 1, address: 900, flag: 'M' },
      { functionCode: 2, address: 903, flag: 'D', activeLow: true },
    ];
    expect(parseEdgeConfig(input).devices[0]!.statusBits).toEqual([
      { functionCode: 1, address: 900, flag: 'M', activeLow: false },
      { functionCode: 2, address: 903, flag: 'D', activeLow: true },
    ]);
    device['statusBits'] = [{ functionCode: 2, address: 901, flag: 'D' }, { functionCode: 3, address: 1, flag: 'N' }];
    const { message } = configError(input);
    expect(message).toContain('devices.0.statusBits.1.functionCode');
    expect(message).toContain('devices.0.statusBits.1.flag');
  });

  it('rejects unknown keys (typos) instead of ignoring them', () => {
    const input = validConfig();
    (input['devices'] as Record<string, unknown>[])[0]!['pollIntervalMS'] = 500;
    expect(configError(input).message).toContain('devices.0');
    expect(configError(input).message).toContain('pollIntervalMS');
  });

  it('rejects a missing field at its path', () => {
    const input = validConfig();
    delete (input['mqtt'] as Record<string, unknown>)['password'];
    expect(configError(input).message).toContain('mqtt.password');
  });

  it('rejects duplicate device ids and a pollutant read twice by one device', () => {
    const input = validConfig();
    const devices = input['devices'] as Record<string, unknown>[];
    devices.push(structuredClone(devices[0]!));
    const points = devices[0]!['points'] as Record<string, unknown>[];
    points[1]!['pollutant'] = 'w00000';
    const { message } = configError(input);
    expect(message).toContain('devices.1.id');
    expect(message).toContain('devices.0.points.1.pollutant');
  });

  it('takes any HJ 212-2017 water code, and a second instance of a code by its channel id', () => {
    const input = validConfig();
    (input['devices'] as { points: Record<string, unknown>[] }[])[0]!.points = [
      { pollutant: 'w00000', functionCode: 4, address: 0, type: 'float32' },
      { pollutant: 'w00001', functionCode: 4, address: 2, type: 'uint32' },
      { pollutant: 'w01018', functionCode: 4, address: 4, type: 'float32' },
      { pollutant: 'w01018', channel: 'cod-2', functionCode: 4, address: 6, type: 'float32' },
      { pollutant: 'w20111', functionCode: 3, address: 0, type: 'uint16', scale: 0.01 },
    ];
    const points = parseEdgeConfig(input).devices[0]!.points;
    expect(points.map((p) => [p.pollutant, p.channel, p.unit])).toEqual([
      ['w00000', undefined, 'm3/h'],
      ['w00001', undefined, 'm3'],
      ['w01018', undefined, 'mg/L'],
      ['w01018', 'cod-2', 'mg/L'],
      ['w20111', undefined, 'ug/L'],
    ]);
  });

  it('refuses a second instance of a code without a channel id, a channel id twice, and a channel with no primary instance', () => {
    const input = validConfig();
    const device = (input['devices'] as { points: Record<string, unknown>[] }[])[0]!;
    const cod = { pollutant: 'w01018', functionCode: 4, address: 4, type: 'float32' };
    device.points = [cod, { ...cod, address: 6 }];
    expect(configError(input).message).toMatch(/devices\.0\.points\.1\.pollutant: w01018 is already read by an earlier point of this device; give this one a channel id/);
    device.points = [cod, { ...cod, address: 6, channel: 'b' }, { ...cod, address: 8, channel: 'b' }];
    expect(configError(input).message).toMatch(/devices\.0\.points\.2\.channel: channel b of w01018 is already read/);
    device.points = [{ ...cod, channel: 'b' }];
    expect(configError(input).message).toMatch(/devices\.0\.points\.0\.channel: w01018 has no primary point on this device/);
    device.points = [{ ...cod, channel: 'cod 2' }];
    expect(configError(input).message).toContain('devices.0.points.0.channel');
  });

  it('rejects a value that runs past the last register', () => {
    const input = validConfig();
    Object.assign((input['devices'] as { points: Record<string, unknown>[] }[])[0]!.points[0]!, { address: 65535 });
    expect(configError(input).message).toContain('devices.0.points.0.address');
  });
});

describe('parseEdgeConfig: outbox and transports', () => {
  it('uses the disk outbox under keyDir by default, and takes an absolute folder as given', () => {
    expect(parseEdgeConfig(validConfig()).outbox).toEqual({ kind: 'disk', dir: '/tmp/keys/outbox', maxBytes: EDGE_DEFAULTS.outboxMaxBytes });
    const input = { ...validConfig(), outbox: { kind: 'memory', dir: '/var/lib/qingliu/outbox', maxBytes: 1_000_000 } };
    expect(parseEdgeConfig(input).outbox).toEqual({ kind: 'memory', dir: '/var/lib/qingliu/outbox', maxBytes: 1_000_000 });
    expect(configError({ ...validConfig(), outbox: { maxBytes: 10 } }).message).toContain('outbox.maxBytes');
  });

  it('takes RTU devices with serial defaults, several units on one line, and refuses a line with two settings or a unit id twice', () => {
    const input = validConfig();
    const tcp = (input['devices'] as Record<string, unknown>[])[0]!;
    const { host: _host, port: _port, ...common } = tcp;
    const rtu = { ...common, id: 'dev-2', transport: 'rtu', path: '/dev/ttyUSB0' };
    input['devices'] = [tcp, rtu];
    expect(parseEdgeConfig(input).devices[1]).toMatchObject({ transport: 'rtu', path: '/dev/ttyUSB0', baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 });
    input['devices'] = [tcp, rtu, { ...rtu, id: 'dev-3', unitId: 7 }];
    expect(parseEdgeConfig(input).devices.map((d) => d.unitId)).toEqual([1, 1, 7]);
    input['devices'] = [tcp, rtu, { ...rtu, id: 'dev-3' }];
    expect(configError(input).message).toMatch(/devices\.2\.unitId.*unit 1 is used twice on \/dev\/ttyUSB0/);
    input['devices'] = [tcp, rtu, { ...rtu, id: 'dev-3', unitId: 7, baudRate: 19200 }];
    expect(configError(input).message).toMatch(/devices\.2\.path.*9600 baud.*devices\.1/);
    input['devices'] = [{ ...rtu, parity: 'mark' }];
    expect(configError(input).message).toContain('devices.0.parity');
  });
});

describe('loadEdgeConfig', () => {
  it('loads the commented sample config', async () => {
    const config = await loadEdgeConfig(SAMPLE);
    expect(config.devices.map((d) => d.id)).toEqual(['ent-a-dw001-mon', 'ent-a-dw002-mon']);
    expect(config.devices[1]!.points[0]!.wordOrder).toBe('CDAB');
    expect(config.devices[1]!.timeoutMs).toBe(1000);
  });

  it('refuses a code that is not an HJ 212-2017 water code when it loads, naming the field and the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qingliu-edge-config-'));
    try {
      const file = join(dir, 'edge.yaml');
      const yaml = (code: string): string =>
        'agentId: a\nenterprise: e\nmqtt: { url: "mqtt://x:1", username: u, password: p }\nkeyDir: k\n' +
        'devices:\n  - { id: d, outfall: o, transport: tcp, host: h, port: 502, unitId: 1, points: [\n' +
        '      { pollutant: w00000, functionCode: 4, address: 0, type: float32 },\n' +
        `      { pollutant: ${code}, functionCode: 4, address: 2, type: float32 } ] }\n`;
      await writeFile(file, yaml('w12345'));
      await expect(loadEdgeConfig(file)).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringMatching(/devices\.0\.points\.1\.pollutant: w12345 is not in the HJ 212-2017 water code table.*\(in .*edge\.yaml\)/),
      });
      await writeFile(file, yaml('COD'));
      await expect(loadEdgeConfig(file)).rejects.toMatchObject({ message: expect.stringContaining('devices.0.points.1.pollutant: "COD" is not an HJ 212 water code') });
      await writeFile(file, yaml('w01019'));
      expect((await loadEdgeConfig(file)).devices[0]!.points[1]).toMatchObject({ pollutant: 'w01019', unit: 'mg/L' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports a bad field with the file and the path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qingliu-edge-config-'));
    try {
      const file = join(dir, 'edge.yaml');
      await writeFile(file, 'agentId: a\nenterprise: e\nmqtt: { url: "mqtt://x:1", username: u, password: p }\nkeyDir: k\ndevices: []\n');
      await expect(loadEdgeConfig(file)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('devices') });
      await writeFile(file, 'agentId: [unclosed\n');
      await expect(loadEdgeConfig(file)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
      await expect(loadEdgeConfig(join(dir, 'missing.yaml'))).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
