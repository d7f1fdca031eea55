/**
 * The poller against real Modbus TCP servers on loopback (firmware-sim
 * devices, and a raw socket server that never answers); nothing is mocked.
 */
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { LAYOUT_NAMES, createOutfallModel, describePoints, startModbusDevice } from '@qingliu/firmware-sim';
import type { LayoutName, ModbusDevice } from '@qingliu/firmware-sim';
import { isQingliuError } from '@qingliu/protocol';
import type { PollutantCode } from '@qingliu/protocol';
import { sleep, waitFor } from '@qingliu/testkit';
import { parseEdgeConfig } from './config.js';
import type { DeviceConfig, PointConfig } from './config.js';
import { createDevicePoller } from './modbus-poller.js';
import { logSink } from './test-support/log-sink.js';
import type { DevicePoller, PolledSample } from './modbus-poller.js';

// 2024-06-01 09:00 in China: the morning peak.
const T0 = Date.UTC(2024, 5, 1, 1, 0, 0);

function deviceConfig(device: { host: string; port: number; unitId: number }, points: unknown, extra = {}): DeviceConfig {
  return parseEdgeConfig({
    agentId: 'edge-test',
    enterprise: 'ent-test',
    mqtt: { url: 'mqtt://127.0.0.1:1883', username: 'u', password: 'p' },
    keyDir: '/tmp/unused',
    devices: [
      { id: 'dev-1', outfall: 'out-1', transport: 'tcp', host: device.host, port: device.port, unitId: device.unitId, points, ...extra },
    ],
  }).devices[0]!;
}

/** How far a decoded value may be from the model's: the resolution of the point's encoding. */
function tolerance(point: PointConfig, expected: number): number {
  switch (point.type) {
    case 'float32':
      // The model's value rounded to a float32 and read back as the shortest decimal of that float32: within one float32 step.
      return Math.abs(expected) * 2 ** -23 + 1e-12;
    case 'float64':
      return 1e-12;
    default:
      return point.scale / 2 + 1e-9;
  }
}



/** A TCP server that accepts connections and never answers: a hung gateway. */
async function startSilentServer(): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('device poller against simulated analyzers', () => {
  const pollers: DevicePoller[] = [];
  const devices: ModbusDevice[] = [];
  afterEach(async () => {
    await Promise.all(pollers.splice(0).map((p) => p.close()));
    await Promise.all(devices.splice(0).map((d) => d.close()));
  });

  it.each(LAYOUT_NAMES.map((name) => [name]))(
    'reads every point of the %s layout as the model has it at that moment',
    async (layout: LayoutName) => {
      const model = createOutfallModel({ seed: 42 });
      const device = await startModbusDevice({ unitId: 7, layout, model, clock: () => T0 });
      devices.push(device);
      const config = deviceConfig(device, describePoints(layout));
      const emitted: PolledSample[][] = [];
      const poller = createDevicePoller({ device: config, onSamples: (s) => emitted.push(s), clock: () => T0 + 5 });
      pollers.push(poller);

      const samples = await poller.pollOnce();

      expect(emitted).toEqual([samples]);
      expect(samples.map((s) => s.pollutant).sort()).toEqual(config.points.map((p) => p.pollutant).sort());
      const expected = model.valuesAt(T0);
      for (const sample of samples) {
        const point = config.points.find((p) => p.pollutant === sample.pollutant)!;
        const want = expected[sample.pollutant as PollutantCode];
        expect(Math.abs(sample.value - want)).toBeLessThanOrEqual(tolerance(point, want));
        expect(sample).toMatchObject({ device: 'dev-1', outfall: 'out-1', unit: point.unit, ts: T0 + 5, flag: 'N' });
      }
    },
  );

  it('follows the model as time passes, with one timestamp per poll', async () => {
    let now = T0;
    const model = createOutfallModel({ seed: 7 });
    const device = await startModbusDevice({ unitId: 1, layout: 'cdab-split', model, clock: () => now });
    devices.push(device);
    const poller = createDevicePoller({
      device: deviceConfig(device, describePoints('cdab-split')),
      onSamples: () => undefined,
      clock: () => now,
    });
    pollers.push(poller);
    for (const ts of [T0, T0 + 3_600_000, T0 + 12 * 3_600_000]) {
      now = ts;
      const samples = await poller.pollOnce();
      expect(new Set(samples.map((s) => s.ts))).toEqual(new Set([ts]));
      const flow = samples.find((s) => s.pollutant === 'w00000')!.value;
      expect(flow).toBeCloseTo(model.valuesAt(ts).w00000, 3);
    }
  });

  it('polls on its own every pollIntervalMs once started, never two polls at once', async () => {
    const device = await startModbusDevice({ unitId: 1, layout: 'abcd-compact', model: createOutfallModel({ seed: 1 }) });
    devices.push(device);
    const polls: PolledSample[][] = [];
    const poller = createDevicePoller({
      device: deviceConfig(device, describePoints('abcd-compact'), { pollIntervalMs: 40 }),
      onSamples: (s) => polls.push(s),
    });
    pollers.push(poller);
    poller.start();
    poller.start(); // a second start is ignored
    await waitFor(() => polls.length >= 4, 5_000, 'four polls');
    const stamps = polls.map((p) => p[0]!.ts);
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]! - stamps[i - 1]!).toBeGreaterThanOrEqual(35);
    const [first, second] = await Promise.all([poller.pollOnce(), poller.pollOnce()]);
    expect(first).toHaveLength(4);
    expect(second).toHaveLength(4);
  });

  it('when the device stops, yields no samples, and recovers when it comes back on the same port', async () => {
    const model = createOutfallModel({ seed: 3 });
    let device = await startModbusDevice({ unitId: 1, layout: 'dcba-wide', model });
    const port = device.port;
    const { logger, lines } = logSink();
    const polls: PolledSample[][] = [];
    const poller = createDevicePoller({
      device: deviceConfig(device, describePoints('dcba-wide'), { pollIntervalMs: 30, timeoutMs: 200 }),
      onSamples: (s) => polls.push(s),
      logger,
      reconnectMaxDelayMs: 120,
    });
    pollers.push(poller);
    poller.start();
    await waitFor(() => polls.length >= 2, 5_000, 'polls before the stop');

    await device.close();
    const stoppedAt = Date.now();
    await expect(poller.pollOnce()).rejects.toMatchObject({ code: 'DEVICE_UNREACHABLE', retryable: true });
    const countAtStop = polls.length;
    await sleep(400);
    // Nothing polled after the stop: no samples at all, so none flagged normal.
    expect(polls.length).toBe(countAtStop);
    expect(polls.flat().every((s) => s.ts <= stoppedAt)).toBe(true);
    const failures = lines.filter((l) => l.msg.includes('failed'));
    expect(failures).toHaveLength(1); // one warning, not one per poll
    expect(failures[0]!.level).toBe(40);

    device = await startModbusDevice({ port, unitId: 1, layout: 'dcba-wide', model });
    devices.push(device);
    const restartedAt = Date.now();
    await waitFor(() => polls.length > countAtStop, 5_000, 'polls after the restart');
    const recovered = polls[polls.length - 1]!;
    expect(recovered).toHaveLength(5);
    expect(recovered.every((s) => s.flag === 'N' && s.ts >= restartedAt)).toBe(true);
    expect(lines.some((l) => l.level === 30 && l.msg.includes('answers again'))).toBe(true);
  });

  it('times out on a device that accepts the connection but never answers, and says which unit to check (in Chinese too)', async () => {
    const silent = await startSilentServer();
    try {
      const { logger, lines } = logSink();
      const poller = createDevicePoller({
        device: deviceConfig({ host: '127.0.0.1', port: silent.port, unitId: 17 }, describePoints('abcd-compact'), {
          timeoutMs: 150,
        }),
        onSamples: () => undefined,
        logger,
      });
      pollers.push(poller);
      const startedAt = Date.now();
      const error: unknown = await poller.pollOnce().catch((e: unknown) => e);
      expect(isQingliuError(error, 'DEVICE_UNREACHABLE')).toBe(true);
      expect(Date.now() - startedAt).toBeLessThan(1_000);
      const said = 'no answer from unit 17: check the unit id and wiring (从站 17 无应答：请检查站号和接线)';
      expect((error as Error).message).toContain(said);
      expect(poller.status()).toMatchObject({ online: false, error: said });
      expect(lines.find((l) => l.level === 40)?.msg).toContain(said);
    } finally {
      await Promise.all(pollers.splice(0).map((p) => p.close()));
      await silent.close();
    }
  });

  it('one device failing does not slow the polls of another', async () => {
    const silent = await startSilentServer();
    try {
      const good = await startModbusDevice({ unitId: 1, layout: 'badc-mixed', model: createOutfallModel({ seed: 9 }) });
      devices.push(good);
      const goodPolls: PolledSample[][] = [];
      const badPolls: PolledSample[][] = [];
      const goodPoller = createDevicePoller({
        device: deviceConfig(good, describePoints('badc-mixed'), { pollIntervalMs: 25 }),
        onSamples: (s) => goodPolls.push(s),
      });
      const badPoller = createDevicePoller({
        device: deviceConfig({ host: '127.0.0.1', port: silent.port, unitId: 1 }, describePoints('badc-mixed'), {
          pollIntervalMs: 25,
          timeoutMs: 2_000,
        }),
        onSamples: (s) => badPolls.push(s),
      });
      pollers.push(goodPoller, badPoller);
      badPoller.start();
      goodPoller.start();
      await sleep(500);
      // The hung device holds its poll for 2 s; the healthy one keeps its 25 ms pace.
      expect(goodPolls.length).toBeGreaterThanOrEqual(8);
      expect(badPolls).toHaveLength(0);
    } finally {
      await Promise.all(pollers.splice(0).map((p) => p.close()));
      await silent.close();
    }
  });

  it('close() abandons a poll in flight at once and leaves nothing running', async () => {
    const silent = await startSilentServer();
    try {
      const poller = createDevicePoller({
        device: deviceConfig({ host: '127.0.0.1', port: silent.port, unitId: 1 }, describePoints('abcd-compact'), {
          timeoutMs: 5_000,
        }),
        onSamples: () => undefined,
      });
      poller.start();
      const inFlight = poller.pollOnce();
      await sleep(50);
      const startedAt = Date.now();
      await poller.close();
      expect(Date.now() - startedAt).toBeLessThan(500);
      await expect(inFlight).rejects.toMatchObject({ code: 'DEVICE_UNREACHABLE', retryable: false });
      await expect(poller.pollOnce()).rejects.toMatchObject({ code: 'DEVICE_UNREACHABLE' });
      await poller.close(); // twice is fine
    } finally {
      await silent.close();
    }
  });
});
