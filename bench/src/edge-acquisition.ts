/**
 * Registers/s one edge agent reads from firmware-sim devices over Modbus
 * TCP, end to end: the agent runs as its own process (`edge/dist/main.js
 * run`, disk outbox) polling `--devices` simulated analyzers as fast as they
 * answer (pollIntervalMs 1) and publishing to Mosquitto; a subscriber counts
 * the readings that arrive. Baseline: a bare process with only mqtt and
 * modbus-serial (edge-bare-client.ts) reading the same requests from the same
 * devices and publishing each poll. Also the RSS of both (VmRSS from /proc,
 * peak of samples every 250 ms after the 2 s warm-up) and the agent's CPU.
 * Both run with `--node-args` (default: EDGE_NODE_FLAGS, the flags the agent
 * is run with; `--node-args=` for none). Prints one JSON line last.
 *
 *   node bench/dist/edge-acquisition.js [--devices 4] [--seconds 10] [--node-args="<flags>"]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connectAsync } from 'mqtt';
import { stringify } from 'yaml';
import { EDGE_NODE_FLAGS, planRequests } from '@qingliu/edge';
import { LAYOUT_NAMES, startPlant } from '@qingliu/firmware-sim';
import { ALL_READINGS_TOPIC } from '@qingliu/protocol';
import { startMosquitto } from '@qingliu/testkit';

const { values } = parseArgs({
  options: { devices: { type: 'string', default: '4' }, seconds: { type: 'string', default: '10' }, 'node-args': { type: 'string', default: EDGE_NODE_FLAGS.join(' ') } },
});
const agentNodeArgs = values['node-args'].split(' ').filter(Boolean);
const deviceCount = Number(values.devices);
const seconds = Number(values.seconds);
const MAIN_JS = fileURLToPath(new URL('../../edge/dist/main.js', import.meta.url));
const BARE_JS = fileURLToPath(new URL('./edge-bare-client.js', import.meta.url));

/** CPU time a process has used, seconds (utime + stime from /proc, at 100 ticks/s). */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** VmRSS of a process in MB: the peak of samples every 250 ms for `forMs` (or until `exited`), and the last sample. */
async function sampleRss(pid: number, forMs: number, exited?: Promise<unknown>): Promise<{ peak: number; end: number }> {
  let gone = false;
  void exited?.then(() => (gone = true));
  const read = async (): Promise<number | undefined> => {
    try {
      return Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
    } catch {
      return undefined;
    }
  };
  let peak = 0;
  let end = 0;
  const until = Date.now() + forMs;
  while (Date.now() < until && !gone) {
    const rss = await read();
    if (rss === undefined || gone) break;
    peak = Math.max(peak, rss);
    end = rss;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { peak, end };
}

const plant = await startPlant({
  outfalls: Array.from({ length: deviceCount }, (_, i) => ({
    enterprise: 'ent-bench', outfall: `out-${i}`, device: `dev-${i}`, layout: LAYOUT_NAMES[i % LAYOUT_NAMES.length]!, unitId: 1,
  })),
});
const registersPerReading = new Map(
  plant.devices.map((d) => [d.device, planRequests(d.points).reduce((sum, r) => sum + r.length, 0) / d.points.length]),
);
const broker = await startMosquitto();
const dir = await mkdtemp(join(tmpdir(), 'qingliu-bench-acq-'));
try {
  // Baseline: a bare process (mqtt + modbus-serial only) reading the same requests and publishing them.
  const bare = spawn(
    process.execPath,
    [...agentNodeArgs, BARE_JS, JSON.stringify({ brokerUrl: broker.url, seconds: seconds + 2, devices: plant.devices.map((d) => ({ host: d.host, port: d.port, unitId: d.unitId, requests: planRequests(d.points).map(({ functionCode, address, length }) => ({ functionCode, address, length })) })) })],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let bareOut = '';
  bare.stdout.on('data', (chunk: Buffer) => (bareOut += chunk.toString()));
  const bareExit = new Promise((resolve) => bare.once('exit', resolve));
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const bareRss = await sampleRss(bare.pid!, seconds * 1000, bareExit);
  await bareExit;
  const bareResult = JSON.parse(bareOut) as { registers: number; seconds: number };
  const baselineRps = bareResult.registers / bareResult.seconds;

  const subscriber = await connectAsync(broker.url);
  let readings = 0;
  let registers = 0;
  subscriber.on('message', (_topic, payload) => {
    const batch = JSON.parse(payload.toString()) as { device: string; readings: unknown[] };
    readings += batch.readings.length;
    registers += batch.readings.length * registersPerReading.get(batch.device)!;
  });
  await subscriber.subscribeAsync(ALL_READINGS_TOPIC, { qos: 1 });
  const configPath = join(dir, 'edge.yaml');
  await writeFile(
    configPath,
    stringify({
      agentId: 'edge-bench', enterprise: 'ent-bench', mqtt: { url: broker.url, username: 'bench', password: 'bench' }, keyDir: join(dir, 'keys'),
      devices: plant.devices.map((d) => ({ id: d.device, outfall: d.outfall, transport: 'tcp', host: d.host, port: d.port, unitId: d.unitId, pollIntervalMs: 1, points: d.points })),
    }),
  );
  const agent = spawn(process.execPath, [...agentNodeArgs, MAIN_JS, 'run', '--config', configPath], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, LOG_LEVEL: 'warn' } });
  // Warm up 2 s, then measure.
  for (let i = 0; i < 200 && readings === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const [r0, g0, t0, c0] = [readings, registers, Date.now(), await cpuSeconds(agent.pid!)];
  const agentRss = await sampleRss(agent.pid!, seconds * 1000);
  const elapsed = (Date.now() - t0) / 1000;
  const cpu = (await cpuSeconds(agent.pid!)) - c0;
  const [r1, g1] = [readings, registers];
  agent.kill('SIGTERM');
  await new Promise((resolve) => agent.once('exit', resolve));
  await subscriber.endAsync();
  const agentRps = (g1 - g0) / elapsed;
  console.log(`${deviceCount} firmware-sim devices (${[...new Set(plant.devices.map((d) => d.layout))].join(', ')}), ${seconds} s after 2 s warm-up`);
  console.log(
    JSON.stringify({
      agent_registers_per_s: Math.round(agentRps),
      agent_readings_per_s: Math.round((r1 - r0) / elapsed),
      baseline_registers_per_s: Math.round(baselineRps),
      ratio: Number((agentRps / baselineRps).toFixed(3)),
      agent_cpu_percent: Math.round((100 * cpu) / elapsed),
      agent_rss_mb_peak: Math.round(agentRss.peak),
      agent_rss_mb_end: Math.round(agentRss.end),
      bare_rss_mb_peak: Math.round(bareRss.peak),
      bare_rss_mb_end: Math.round(bareRss.end),
      node_args: agentNodeArgs.join(' '),
      devices: deviceCount,
    }),
  );
} finally {
  await broker.stop();
  await plant.close();
  await rm(dir, { recursive: true, force: true });
}
