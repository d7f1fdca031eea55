/**
 * A device with more than the six accounted codes: a flow totalizer (w00001) and a second COD
 * analyzer on the same unit (w01018, channel cod-2), beside one register the map names wrongly.
 * The agent polls firmware-sim, numbers and signs the readings and publishes them to Mosquitto; what
 * arrives is checked as the cloud checks it (schema, then signature against the enrolled key).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { createOutfallModel, describePoints, startModbusDevice } from '@qingliu/firmware-sim';
import type { ModbusDevice, RegisterLayout } from '@qingliu/firmware-sim';
import { agentStatusTopic, publicKeyFromHex, readingsTopic, signedBatchSchema, verifyBatchSignature } from '@qingliu/protocol';
import type { Reading, SignedBatch } from '@qingliu/protocol';
import { startMosquitto, waitFor } from '@qingliu/testkit';
import type { MosquittoServer } from '@qingliu/testkit';
import { startEdgeAgent } from './agent.js';
import { createMemoryOutbox } from './memory-outbox.js';
import type { EdgeAgent } from './agent.js';
import type { AgentStatusMessage } from './agent-status.js';
import { parseEdgeConfig } from './config.js';

const [FLOW, COD] = describePoints('abcd-compact');
/**
 * What the unit holds: flow and COD as float32 at input registers 0-3, a second COD analyzer at 10-11
 * (it reads twice the first one's value: the sim encodes COD at scale 0.5), the flow again as a
 * whole-number uint32 at 20-21 (standing in for a totalizer, which the sim has not), NH3-N at holding register 0.
 */
const LAYOUT: RegisterLayout = {
  name: 'two-cod',
  description: 'abcd-compact with a second COD analyzer and a totalizer register',
  points: [FLOW!, COD!, { ...COD!, address: 10, scale: 0.5 }, { ...FLOW!, address: 20, type: 'uint32' }, describePoints('abcd-compact')[2]!],
};

describe('edge agent: more channels than the six codes', () => {
  let dir: string;
  let broker: MosquittoServer;
  let device: ModbusDevice;
  let watcher: MqttClient;
  let agent: EdgeAgent | undefined;
  const batches: SignedBatch[] = [];
  const statuses: AgentStatusMessage[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qingliu-channels-'));
    broker = await startMosquitto({ users: { 'edge-ent-c': 'edge-pass', watcher: 'watch-pass' } });
    // One moment for every request, so the two analyzers' values can be held against each other.
    device = await startModbusDevice({ unitId: 2, layout: LAYOUT, model: createOutfallModel({ seed: 21 }), clock: () => Date.UTC(2024, 5, 1, 1) });
    watcher = await connectAsync(broker.url, { username: 'watcher', password: 'watch-pass' });
    watcher.on('message', (topic, payload) => {
      const message = JSON.parse(payload.toString()) as unknown;
      if (topic.endsWith('/status')) statuses.push(message as AgentStatusMessage);
      else batches.push(message as SignedBatch);
    });
    await watcher.subscribeAsync([readingsTopic('ent-c', 'dev-c'), agentStatusTopic('ent-c', 'edge-ent-c')], { qos: 1 });
  });
  afterAll(async () => {
    await agent?.close({ drainMs: 1000 });
    await watcher?.endAsync(true);
    await device?.close();
    await broker?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('polls a totalizer (w00001) and a second COD (channel cod-2) beside the primary one, signs them with their channel, and names the point the unit refuses', async () => {
    const config = parseEdgeConfig({
      agentId: 'edge-ent-c',
      enterprise: 'ent-c',
      mqtt: { url: broker.url, username: 'edge-ent-c', password: 'edge-pass', qos: 1 },
      keyDir: join(dir, 'keys'),
      outbox: { kind: 'memory' },
      devices: [
        {
          id: 'dev-c', outfall: 'out-c', transport: 'tcp', host: device.host, port: device.port, unitId: 2, pollIntervalMs: 100, timeoutMs: 500,
          points: [
            { pollutant: 'w00000', functionCode: 4, address: 0, type: 'float32' },
            { pollutant: 'w01018', functionCode: 4, address: 2, type: 'float32' },
            { pollutant: 'w01018', channel: 'cod-2', functionCode: 4, address: 10, type: 'float32' },
            { pollutant: 'w00001', functionCode: 4, address: 20, type: 'uint32' },
            { pollutant: 'w21003', functionCode: 3, address: 0, type: 'int16', scale: 0.01 },
            // Total organic carbon where the unit has no register: refused with exception 2, the rest still published.
            { pollutant: 'w01020', functionCode: 4, address: 30, type: 'float32' },
          ],
        },
      ],
    });
    agent = await startEdgeAgent({ config, logger: pino({ level: 'silent' }), outbox: createMemoryOutbox() });
    await waitFor(() => batches.flatMap((b) => b.readings).length >= 10, 10_000, 'two polls published');

    const publicKey = publicKeyFromHex(agent.publicKeys.get('dev-c')!);
    for (const batch of batches) {
      expect(signedBatchSchema.safeParse(batch).success).toBe(true);
      expect(verifyBatchSignature(batch, publicKey)).toBe(true);
    }
    const readings = batches.flatMap((b) => b.readings);
    const ts = readings[0]!.ts;
    const poll = readings.filter((r) => r.ts === ts);
    const instance = (r: Reading): string => (r.channel === undefined ? r.pollutant : `${r.pollutant}/${r.channel}`);
    expect(poll.map(instance).sort()).toEqual(['w00000', 'w00001', 'w01018', 'w01018/cod-2', 'w21003']);
    const of = (key: string): Reading => poll.find((r) => instance(r) === key)!;
    expect(of('w00001')).toMatchObject({ unit: 'm3', flag: 'N' });
    expect(Number.isInteger(of('w00001').value)).toBe(true);
    expect(of('w01018/cod-2').value).toBeCloseTo(2 * of('w01018').value, 3);
    // One seq each: the second analyzer is a reading of its own, not a copy.
    expect(new Set(poll.map((r) => r.seq)).size).toBe(5);

    await waitFor(() => statuses.some((s) => s.devices?.['dev-c']?.failedPoints !== undefined), 5_000, 'the refused point on the status topic');
    const status = [...statuses].reverse().find((s) => s.devices?.['dev-c']?.failedPoints)!.devices!['dev-c']!;
    expect(status).toMatchObject({
      online: true,
      failedPoints: [{ pollutant: 'w01020', functionCode: 4, address: 30, exception: 2, error: 'FC 4 address 30 (w01020): Modbus exception 2, illegal data address (非法数据地址)' }],
    });
  });
});
