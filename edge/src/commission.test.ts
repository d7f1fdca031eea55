/** The commissioning command (`main.js once`), run as operators run it. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOutfallModel, describePoints, startModbusDevice } from '@qingliu/firmware-sim';
import type { ModbusDevice } from '@qingliu/firmware-sim';
import { freePort } from '@qingliu/testkit';
import { formatCommissionResult } from './commission.js';
import type { CommissionResult } from './commission.js';
import { decodePoint } from './decode.js';
import { shortestFloat32 } from './float32.js';
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

  it('prints one plain line per device without --json, float32 values at float32 precision', async () => {
    const { code, stdout } = await runAgentCommand(['once', '--config', await writeConfig()]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^good-mon {2}out-1 {2}127\.0\.0\.1:\d+ unit 4 {2}flow [\d.]+ m3\/h {2}COD/);
    // Flow and COD are float32 registers in this layout: printed as the shortest decimal of the float32 (123.456, not 123.45600128173828).
    for (const name of ['flow', 'COD']) {
      const printed = new RegExp(`  ${name} (\\S+) `).exec(stdout)![1]!;
      expect([name, printed]).toEqual([name, String(shortestFloat32(Number(printed)))]);
      expect(printed.replace(/^0\.0*|\./g, '').length).toBeLessThanOrEqual(9);
    }
  });

  it('reads the other points of a device that refuses one, names the refused one with its function code, address and exception, and exits 1', async () => {
    const path = join(dir, 'edge-refused.yaml');
    const points = [...describePoints('dcba-wide'), { pollutant: 'w01019', functionCode: 4 as const, address: 8, type: 'float32' as const }];
    const devices = [{ id: 'half-mon', outfall: 'out-1', transport: 'tcp' as const, host: '127.0.0.1', port: device.port, unitId: 4, points }];
    await writeAgentConfig(path, { agentId: 'edge-once', enterprise: 'ent-a', mqtt: { url: 'mqtt://127.0.0.1:1', username: 'u', password: 'p' }, keyDir: join(dir, 'keys'), devices });
    const json = await runAgentCommand(['once', '--json', '--config', path]);
    expect(json.code).toBe(1);
    const result = JSON.parse(json.stdout.trim()) as CommissionResult;
    if (!result.ok) throw new Error(`expected an answer, got ${JSON.stringify(result)}`);
    expect(Object.keys(result.values).sort()).toEqual(['w00000', 'w01001', 'w01018', 'w21001', 'w21003']);
    const refused = 'FC 4 address 8 (w01019): Modbus exception 2, illegal data address (非法数据地址)';
    expect(result.failedPoints).toEqual([{ pollutant: 'w01019', functionCode: 4, address: 8, exception: 2, error: refused }]);
    expect(json.stderr).toContain(`1 points were not read (the other points were):\n  half-mon ${refused}`);

    const plain = await runAgentCommand(['once', '--config', path]);
    expect(plain.code).toBe(1);
    expect(plain.stdout).toMatch(/flow [\d.]+ m3\/h .*NOT READ FC 4 address 8 \(w01019\): Modbus exception 2, illegal data address \(非法数据地址\)/);
  });

  it('writes a decoded float32 at float32 precision in the operator\'s line', () => {
    const value = decodePoint({ type: 'float32', wordOrder: 'ABCD', scale: 1, offset: 0 }, [0x42f6, 0xe979]);
    const line = formatCommissionResult({ device: 'd', outfall: 'o', address: 'a', ok: true, ts: 0, values: { w00000: { name: 'flow', value, unit: 'm3/h', flag: 'N' } } });
    expect(line).toBe('d  o  a  flow 123.456 m3/h');
  });
});
