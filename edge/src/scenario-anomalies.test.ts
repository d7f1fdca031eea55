/**
 * Scripted firmware-sim scenarios seen through the edge poller: each
 * labelled event shows in the polled values (or flags, or failures) while it
 * lasts, and not before.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createOutfallModel, labelsCsv, parseScenario, startPlant } from '@qingliu/firmware-sim';
import type { Plant } from '@qingliu/firmware-sim';
import { parseEdgeConfig } from './config.js';
import { createDevicePoller } from './modbus-poller.js';
import type { DevicePoller } from './modbus-poller.js';

const START = Date.parse('2024-06-01T00:00:00+08:00');
const H = 3_600_000;
const SCENARIO = {
  start: '2024-06-01T00:00:00+08:00',
  events: [
    { outfall: 'o-bypass', kind: 'bypass-dump', at: '2h', for: '40m' },
    { outfall: 'o-dilute', kind: 'dilution', at: '10h', for: '1h', factor: 3 },
    { outfall: 'o-spike', kind: 'spike', at: '13h', for: '15m', pollutant: 'w01018', factor: 4 },
    { outfall: 'o-bypass', kind: 'flatline', at: '15h', for: '2h' },
    { outfall: 'o-dilute', kind: 'replay', at: '18h', for: '1h', replayFrom: '24h' },
    { outfall: 'o-spike', kind: 'ph-excursion', at: '21h', for: '20m', value: 3.2 },
    { outfall: 'o-dilute', kind: 'timeout', at: '5h', for: '10m' },
    { outfall: 'o-spike', kind: 'exception', at: '6h', for: '5m', code: 4 },
    { outfall: 'o-bypass', kind: 'maintenance', at: '8h', for: '30m' },
  ],
};
const OUTFALLS = [
  { enterprise: 'ent-s', outfall: 'o-bypass', device: 'd-bypass', seed: 1, layout: 'abcd-compact' as const },
  { enterprise: 'ent-s', outfall: 'o-dilute', device: 'd-dilute', seed: 2, layout: 'cdab-split' as const },
  { enterprise: 'ent-s', outfall: 'o-spike', device: 'd-spike', seed: 3, layout: 'dcba-wide' as const },
];
const base = Object.fromEntries(OUTFALLS.map((o) => [o.outfall, createOutfallModel({ seed: o.seed })]));

describe('scenario events in the polled values', () => {
  let now = START;
  let plant: Plant;
  const pollers = new Map<string, DevicePoller>();
  beforeAll(async () => {
    const scenario = parseScenario(SCENARIO);
    plant = await startPlant({ outfalls: OUTFALLS, events: scenario.events, clock: () => now });
    const config = parseEdgeConfig({
      agentId: 'edge-s',
      enterprise: 'ent-s',
      mqtt: { url: 'mqtt://127.0.0.1:1', username: 'u', password: 'p' },
      keyDir: '/tmp/unused',
      devices: plant.devices.map((d) => ({ id: d.device, outfall: d.outfall, transport: 'tcp', host: d.host, port: d.port, unitId: d.unitId, timeoutMs: 300, statusRegister: d.statusRegister, points: d.points })),
    });
    for (const device of config.devices) pollers.set(device.outfall, createDevicePoller({ device, onSamples: () => undefined, clock: () => now }));
  });
  afterAll(async () => {
    await Promise.all([...pollers.values()].map((p) => p.close()));
    await plant.close();
  });

  const poll = async (outfall: string, at: number): Promise<Record<string, number> & { flag?: never }> => {
    now = at;
    const samples = await pollers.get(outfall)!.pollOnce();
    return Object.fromEntries(samples.map((s) => [s.pollutant, s.value])) as Record<string, number> & { flag?: never };
  };
  const ratio = (got: number, want: number): number => got / want;

  it('bypass dump (night): flow x3 and COD x2.5 while it lasts, normal before', async () => {
    const before = await poll('o-bypass', START + 2 * H - 60_000);
    expect(ratio(before['w00000']!, base['o-bypass']!.valuesAt(now).w00000)).toBeCloseTo(1, 4);
    const during = await poll('o-bypass', START + 2 * H + 10 * 60_000);
    expect(ratio(during['w00000']!, base['o-bypass']!.valuesAt(now).w00000)).toBeCloseTo(3, 4);
    expect(ratio(during['w01018']!, base['o-bypass']!.valuesAt(now).w01018)).toBeCloseTo(2.5, 4);
  });

  it('dilution: flow up while every concentration falls by the same factor', async () => {
    const during = await poll('o-dilute', START + 10.5 * H);
    const truth = base['o-dilute']!.valuesAt(now);
    expect(ratio(during['w00000']!, truth.w00000)).toBeCloseTo(3, 4);
    expect(ratio(during['w01018']!, truth.w01018)).toBeCloseTo(1 / 3, 4);
    expect(during['w21003']!).toBeCloseTo(truth.w21003 / 3, 1); // int16 x100
  });

  it('spike: COD x4 for 15 minutes, then back', async () => {
    const during = await poll('o-spike', START + 13 * H + 60_000);
    expect(ratio(during['w01018']!, base['o-spike']!.valuesAt(now).w01018)).toBeCloseTo(4, 4);
    const after = await poll('o-spike', START + 13.5 * H);
    expect(ratio(after['w01018']!, base['o-spike']!.valuesAt(now).w01018)).toBeCloseTo(1, 4);
  });

  it('flatline: the same values an hour apart', async () => {
    const a = await poll('o-bypass', START + 15.2 * H);
    const b = await poll('o-bypass', START + 16.2 * H);
    expect(b).toEqual(a);
    const outside = await poll('o-bypass', START + 17.5 * H);
    expect(outside['w00000']).not.toBe(a['w00000']);
  });

  it('replay: yesterday\'s values at the same hour', async () => {
    const during = await poll('o-dilute', START + 18.5 * H);
    expect(during['w00000']!).toBeCloseTo(base['o-dilute']!.valuesAt(now - 24 * H).w00000, 3);
  });

  it('pH excursion: pH held at 3.2', async () => {
    expect((await poll('o-spike', START + 21 * H + 60_000))['w01001']).toBe(3.2);
  });

  it('analyzer faults: a hung device times out (naming its unit), an exception on every point fails the poll, maintenance flags the readings M', async () => {
    now = START + 5 * H + 60_000;
    const started = Date.now();
    await expect(pollers.get('o-dilute')!.pollOnce()).rejects.toMatchObject({ code: 'DEVICE_UNREACHABLE', message: expect.stringMatching(/no answer from unit \d+: check the unit id and wiring/) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250); // the poller's 300 ms timeout, not a refusal
    expect(Date.now() - started).toBeLessThan(1500);
    now = START + 6 * H + 60_000;
    const error: unknown = await pollers.get('o-spike')!.pollOnce().catch((e: unknown) => e);
    expect((error as { cause?: { modbusCode?: number } }).cause?.modbusCode).toBe(4);
    now = START + 8 * H + 60_000;
    const flagged = await pollers.get('o-bypass')!.pollOnce();
    expect(new Set(flagged.map((s) => s.flag))).toEqual(new Set(['M']));
    now = START + 9 * H;
    expect(new Set((await pollers.get('o-bypass')!.pollOnce()).map((s) => s.flag))).toEqual(new Set(['N']));
  });
});

describe('firmware-sim command line with a scenario', () => {
  it('writes the ground-truth labels (outfall, kind, start, end) before it serves', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qingliu-scenario-'));
    try {
      const scenarioPath = join(dir, 'scenario.yaml');
      await writeFile(scenarioPath, JSON.stringify({ ...SCENARIO, outfalls: OUTFALLS })); // JSON is YAML
      const cli = fileURLToPath(new URL('../../firmware-sim/dist/cli.js', import.meta.url));
      const labels = join(dir, 'labels.csv');
      // The plant runs until stopped: 1.5 s, then the timeout kills it.
      const child = promisify(execFile)(process.execPath, [cli, '--scenario', scenarioPath, '--labels', labels], { timeout: 1500 });
      await child.catch(() => undefined); // killed by the timeout: the plant runs until stopped
      const text = await readFile(labels, 'utf8');
      expect(text).toBe(labelsCsv(parseScenario(SCENARIO)));
      expect(text.split('\n')[1]).toBe('o-bypass,bypass-dump,2024-05-31T18:00:00.000Z,2024-05-31T18:40:00.000Z');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
