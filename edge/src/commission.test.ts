/** The commissioning command (`main.js once`), run as operators run it. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOutfallModel, describePoints, startModbusDevice } from '@qingliu/firmware-sim';
import type { ModbusDevice } from '@qingliu/firmware-sim';
import { freePort } from '@qingliu/testkit';
import type { CommissionResult } from './commission.js';
import { runAgentCommand, writeAgentConfig } from './test-support/agent-process.js';

describe('qingliu-edge once', () => {
  let dir: string;
  let device: ModbusDevice;
  const model = createOutfallModel({ seed: 11 });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qingliu-once-'));
    device = await startModbusDevice({ unitId: 4, layout: 'dcba-wide', model });
  });
  afterAll(async () => {
    await device.close();
    await rm(dir, { recursive: true, force: true });
  });

  const writeConfig = async (deadPort?: number): Promise<string> => {
    const path = join(dir, `edge-${deadPort ?? 'ok'}.yaml`);
    const devices = [
      { id: 'good-mon', outfall: 'out-1', transport: 'tcp' as const, host: '127.0.0.1', port: device.port, unitId: 4, points: describePoints('dcba-wide') },
    ];
    if (deadPort) devices.push({ ...devices[0]!, id: 'dead-mon', outfall: 'out-2', port: deadPort });
    await writeAgentConfig(path, { agentId: 'edge-once', enterprise: 'ent-a', mqtt: { url: 'mqtt://127.0.0.1:1', username: 'u', password: 'p' }, keyDir: join(dir, 'keys'), devices });
    return path;
  };

  it('prints each device\'s decoded values as one JSON line and exits 0 when every device answers', async () => {
    const { code, stdout } = await runAgentCommand(['once', '--json', '--config', await writeConfig()]);
    expect(code).toBe(0);
    const [result, ...rest] = stdout.trim().split('\n').map((line) => JSON.parse(line) as CommissionResult);
    expect(rest).toEqual([]);
    if (!result?.ok) throw new Error(`expected an answer, got ${JSON.stringify(result)}`);
    expect(Object.keys(result.values).sort()).toEqual(['w00000', 'w01001', 'w01018', 'w21001', 'w21003']);
    const expected = model.valuesAt(result.ts);
    expect(result.values['w21001']!.value).toBeCloseTo(expected.w21001, 1); // float64 DCBA
    expect(result.values['w01001']).toMatchObject({ name: 'pH', unit: 'pH', flag: 'N' });
    expect(result.values['w01001']!.value).toBeCloseTo(expected.w01001, 1);
  });

  it('exits 1 naming the devices that did not answer, still printing the ones that did', async () => {
    const { code, stdout, stderr } = await runAgentCommand(['once', '--json', '--config', await writeConfig(await freePort())]);
    expect(code).toBe(1);
    const results = stdout.trim().split('\n').map((line) => JSON.parse(line) as CommissionResult);
    expect(results.map((r) => [r.device, r.ok])).toEqual([['good-mon', true], ['dead-mon', false]]);
    expect(stderr).toContain('1 of 2 devices did not answer: dead-mon');
  });

  it('prints one plain line per device without --json', async () => {
    const { code, stdout } = await runAgentCommand(['once', '--config', await writeConfig()]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^good-mon {2}out-1 {2}127\.0\.0\.1:\d+ unit 4 {2}flow [\d.]+ m3\/h {2}COD/);
  });
});
