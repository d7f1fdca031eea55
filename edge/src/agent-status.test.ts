/** The agent's retained status topic and account refusal, against Mosquitto with passwords. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { createOutfallModel, describePoints, startModbusDevice } from '@qingliu/firmware-sim';
import type { ModbusDevice } from '@qingliu/firmware-sim';
import { agentStatusTopic, readingsTopic } from '@qingliu/protocol';
import { startMosquitto } from '@qingliu/testkit';
import type { MosquittoServer } from '@qingliu/testkit';
import { startEdgeAgent } from './agent.js';
import { createMemoryOutbox } from './memory-outbox.js';
import type { AgentStatusMessage } from './agent-status.js';
import { parseEdgeConfig } from './config.js';
import { waitFor } from '@qingliu/testkit';

describe('edge agent status', () => {
  let dir: string;
  let broker: MosquittoServer;
  let watcher: MqttClient;
  const devices: ModbusDevice[] = [];
  const statuses: AgentStatusMessage[] = [];
  const readings = new Map<string, number>();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qingliu-agent-status-'));
    broker = await startMosquitto({ users: { 'edge-ent-s': 'edge-pass', watcher: 'watch-pass' }, persistence: true });
    watcher = await connectAsync(broker.url, { username: 'watcher', password: 'watch-pass' });
    watcher.on('message', (topic, payload) => {
      if (topic.endsWith('/status')) statuses.push(JSON.parse(payload.toString()) as AgentStatusMessage);
      else readings.set(topic.split('/')[3]!, (readings.get(topic.split('/')[3]!) ?? 0) + 1);
    });
    await watcher.subscribeAsync(
      [agentStatusTopic('ent-s', 'edge-ent-s'), readingsTopic('ent-s', 'dev-up'), readingsTopic('ent-s', 'dev-down')],
      { qos: 1 },
    );
  });
  afterAll(async () => {
    await watcher?.endAsync(true);
    await Promise.all(devices.map((d) => d.close()));
    await broker?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const config = (password: string, ports: { up: number; down: number }) =>
    parseEdgeConfig({
      agentId: 'edge-ent-s',
      enterprise: 'ent-s',
      mqtt: { url: broker.url, username: 'edge-ent-s', password },
      keyDir: join(dir, 'keys'),
      outbox: { kind: 'memory' },
      devices: [
        { id: 'dev-up', outfall: 'out-1', transport: 'tcp', host: '127.0.0.1', port: ports.up, unitId: 1, pollIntervalMs: 50, timeoutMs: 200, points: describePoints('abcd-compact') },
        { id: 'dev-down', outfall: 'out-2', transport: 'tcp', host: '127.0.0.1', port: ports.down, unitId: 1, pollIntervalMs: 50, timeoutMs: 200, points: describePoints('abcd-compact') },
      ],
    });

  it('marks a device that stops answering offline on the retained status topic while the other keeps its schedule, and says goodbye on close', async () => {
    const up = await startModbusDevice({ unitId: 1, layout: 'abcd-compact', model: createOutfallModel({ seed: 1 }) });
    const down = await startModbusDevice({ unitId: 1, layout: 'abcd-compact', model: createOutfallModel({ seed: 2 }) });
    devices.push(up, down);
    const agent = await startEdgeAgent({ config: config('edge-pass', { up: up.port, down: down.port }), logger: pino({ enabled: false }), outbox: createMemoryOutbox() });
    try {
      const bothOnline = (s: AgentStatusMessage): boolean => s.online && !!s.devices?.['dev-up']?.online && !!s.devices['dev-down']?.online;
      await waitFor(() => statuses.some(bothOnline), 5_000, 'both devices online on the status topic');

      const stoppedAt = Date.now();
      await down.close();
      const wentOffline = (s: AgentStatusMessage): boolean =>
        s.online && s.devices?.['dev-down']?.online === false && s.devices['dev-down'].since >= stoppedAt;
      await waitFor(() => statuses.some(wentOffline), 5_000, 'dev-down offline');
      const offline = statuses.find(wentOffline)!;
      expect(offline.devices!['dev-up']!.online).toBe(true);
      expect(offline.devices!['dev-down']!.since).toBeGreaterThanOrEqual(stoppedAt);
      expect(offline.devices!['dev-down']!.error).toEqual(expect.any(String));
      expect(offline.outbox).toMatchObject({ refused: 0, maxBytes: expect.any(Number) });

      // The healthy device keeps its 50 ms pace: ~10 polls in 500 ms, each one batch at most.
      const before = agent.stats().polled;
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(agent.stats().polled - before).toBeGreaterThanOrEqual(4 * 6);

      // A new subscriber gets the status at once: it is retained.
      const late = await connectAsync(broker.url, { username: 'watcher', password: 'watch-pass' });
      const retained = new Promise<AgentStatusMessage>((resolve) => late.on('message', (_t, p) => resolve(JSON.parse(p.toString()))));
      await late.subscribeAsync(agentStatusTopic('ent-s', 'edge-ent-s'), { qos: 1 });
      expect((await retained).devices?.['dev-down']?.online).toBe(false);
      await late.endAsync();
    } finally {
      await agent.close({ drainMs: 2000 });
    }
    await waitFor(() => statuses[statuses.length - 1]?.online === false, 5_000, 'the goodbye status');
    expect(statuses[statuses.length - 1]).toMatchObject({ agentId: 'edge-ent-s', online: false, reason: 'stopped' });
    expect(readings.get('dev-up')).toBeGreaterThan(0);
  });

  it('refuses to start when the broker refuses its account, with a non-retryable error', async () => {
    await expect(
      startEdgeAgent({ config: config('wrong-password', { up: 1, down: 2 }), logger: pino({ enabled: false }), outbox: createMemoryOutbox() }),
    ).rejects.toMatchObject({ code: 'BROKER_UNAVAILABLE', retryable: false });
  });
});
