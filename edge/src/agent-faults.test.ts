/**
 * The agent as operators run it (a child process of `edge/dist/main.js run`),
 * against simulated analyzers and Debian's Mosquitto with user names and
 * passwords, through a broker outage and a kill -9.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { defaultPlant, startPlant } from '@qingliu/firmware-sim';
import type { Plant } from '@qingliu/firmware-sim';
import { ALL_READINGS_TOPIC, agentStatusTopic, signedBatchSchema } from '@qingliu/protocol';
import { startMosquitto } from '@qingliu/testkit';
import type { MosquittoServer } from '@qingliu/testkit';
import { waitFor } from '@qingliu/testkit';
import { spawnAgent, writeAgentConfig } from './test-support/agent-process.js';
import type { AgentProcess, QueuedRange } from './test-support/agent-process.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('edge agent through faults', () => {
  let dir: string;
  let plant: Plant;
  let broker: MosquittoServer;
  let subscriber: MqttClient | undefined;
  const agents: AgentProcess[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qingliu-agent-faults-'));
    plant = await startPlant(defaultPlant());
    broker = await startMosquitto({ users: { 'edge-ent-a': 'edge-pass', watcher: 'watch-pass' }, persistence: true });
  });
  afterAll(async () => {
    for (const agent of agents) agent.child.kill('SIGKILL');
    await subscriber?.endAsync(true);
    await broker?.stop();
    await plant?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('when the broker is down for 4 s, the agent is killed with -9 during the outage and again mid-stream, and restarted each time, every queued reading reaches the broker once, in order per device', async () => {
    // Every message the broker routes, kept by a persistent session so none is lost while the watcher itself is
    // cut off; at QoS 2, so the broker's delivery to it is exactly once too and a copy here is a copy at the broker.
    const received = new Map<string, string[]>(); // device:seq -> each copy's JSON
    const firstSeen = new Map<string, number[]>(); // device -> seqs in the order first seen
    const statuses: { online: boolean; devices?: Record<string, { online: boolean }> }[] = [];
    subscriber = await connectAsync(broker.url, { clientId: 'fault-watcher', clean: false, username: 'watcher', password: 'watch-pass', reconnectPeriod: 200 });
    subscriber.on('message', (topic, payload) => {
      if (topic.endsWith('/status')) {
        statuses.push(JSON.parse(payload.toString()));
        return;
      }
      const batch = signedBatchSchema.parse(JSON.parse(payload.toString()));
      for (const r of batch.readings) {
        const key = `${r.device}:${r.seq}`;
        const copies = received.get(key) ?? [];
        if (copies.length === 0) firstSeen.set(r.device, [...(firstSeen.get(r.device) ?? []), r.seq]);
        received.set(key, [...copies, JSON.stringify(r)]);
      }
    });
    await subscriber.subscribeAsync([ALL_READINGS_TOPIC, agentStatusTopic('ent-a', 'edge-ent-a')], { qos: 2 });

    const configPath = join(dir, 'edge.yaml');
    await writeAgentConfig(configPath, {
      agentId: 'edge-ent-a',
      enterprise: 'ent-a',
      mqtt: { url: broker.url, username: 'edge-ent-a', password: 'edge-pass' },
      keyDir: join(dir, 'keys'),
      devices: plant.devices
        .filter((d) => d.enterprise === 'ent-a')
        .map((d) => ({ id: d.device, outfall: d.outfall, transport: 'tcp' as const, host: d.host, port: d.port, unitId: d.unitId, pollIntervalMs: 100, points: d.points })),
    });
    const queuedSoFar = (): QueuedRange[] => agents.flatMap((a) => a.queued);
    const allQueuedReceived = (): boolean =>
      queuedSoFar().every((q) => {
        for (let seq = q.firstSeq; seq <= q.lastSeq; seq++) if (!received.has(`${q.device}:${seq}`)) return false;
        return true;
      });

    const first = spawnAgent(['run', '--config', configPath]);
    agents.push(first);
    await waitFor(() => received.size >= 40, 10_000, `40 readings through the broker (agent stderr: ${first.stderr()})`);

    // The broker goes down for 4 s. The agent keeps polling into its disk outbox, is killed
    // with -9 halfway through the outage, and is started again while the broker is still down.
    await broker.down();
    const outageStart = Date.now();
    await sleep(1500);
    const queuedInOutage = first.queued.length;
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(queuedInOutage).toBeGreaterThan(0);
    const second = spawnAgent(['run', '--config', configPath]);
    agents.push(second);
    await waitFor(() => second.queued.length >= 4, 10_000, `the restarted agent to poll without a broker (stderr: ${second.stderr()})`);
    await sleep(Math.max(0, 4000 - (Date.now() - outageStart)));
    await broker.up();
    await waitFor(allQueuedReceived, 10_000, 'the readings of the outage to arrive');

    // kill -9 again while readings flow, then start again on the same outbox and counters.
    await sleep(500);
    second.child.kill('SIGKILL');
    expect((await second.exited).signal).toBe('SIGKILL');
    const third = spawnAgent(['run', '--config', configPath]);
    agents.push(third);
    await waitFor(() => third.queued.length >= 10, 10_000, `the third agent to poll (stderr: ${third.stderr()})`);
    await sleep(500);
    third.child.kill('SIGTERM'); // drains and exits
    expect((await third.exited).code).toBe(0);
    await waitFor(allQueuedReceived, 10_000, 'every queued reading at the broker');

    // Every reading the agents held durably reached the broker.
    const queued = queuedSoFar();
    const expected = new Set(queued.flatMap((q) => Array.from({ length: q.lastSeq - q.firstSeq + 1 }, (_, i) => `${q.device}:${q.firstSeq + i}`)));
    expect(expected.size).toBeGreaterThan(100);
    for (const key of expected) expect(received.has(key)).toBe(true);
    // Nothing arrived that was not produced: per device, seqs of a run are contiguous, and a restart jumps to a fresh block.
    for (const [device, seqs] of firstSeen) {
      // In order per device: each new seq is higher than every one before it.
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      const jumps = seqs.slice(1).filter((s, i) => s !== seqs[i]! + 1);
      expect({ device, jumps: jumps.length }).toEqual({ device, jumps: 2 });
    }
    // None twice: a batch in flight at a kill went out again under its packet id, and the broker routed it once.
    const duplicates = [...received].filter(([, copies]) => copies.length > 1).map(([key]) => key);
    expect(duplicates).toEqual([]);
    // The first kill happened with the broker down; the second left the last will on the status topic; the restart put the agent back online.
    const willIndex = statuses.findIndex((s) => s.online === false && s.devices === undefined);
    expect(willIndex).toBeGreaterThanOrEqual(0);
    expect(statuses.slice(willIndex + 1).some((s) => s.online === true)).toBe(true);
  }, 60_000);
});
