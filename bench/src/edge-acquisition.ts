/**
 * Registers/s one edge agent reads from firmware-sim devices over Modbus
 * TCP, end to end: the agent runs as its own process (`edge/dist/main.js
 * run`, disk outbox) polling `--devices` simulated analyzers as fast as they
 * answer (pollIntervalMs 1) and publishing to Mosquitto; a subscriber counts
 * the readings that arrive. Baseline: the same devices read by one bare
 * modbus-serial client per device in this process. Also the agent's RSS
 * (VmRSS from /proc, peak of samples every 250 ms). Prints one JSON line last.
 *
 *   node bench/dist/edge-acquisition.js [--devices 4] [--seconds 10]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import ModbusSerial from 'modbus-serial';
import { connectAsync } from 'mqtt';
import { stringify } from 'yaml';
import { planRequests } from '@qingliu/edge';
import { LAYOUT_NAMES, startPlant } from '@qingliu/firmware-sim';
import { ALL_READINGS_TOPIC } from '@qingliu/protocol';
import { startMosquitto } from '@qingliu/testkit';

const { values } = parseArgs({ options: { devices: { type: 'string', default: '4' }, seconds: { type: 'string', default: '10' } } });
const deviceCount = Number(values.devices);
const seconds = Number(values.seconds);
const MAIN_JS = fileURLToPath(new URL('../../edge/dist/main.js', import.meta.url));

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
  // Baseline: bare clients, one per device, reading the same requests back to back.
  const ModbusRTU = ModbusSerial.default;
  let baselineRegisters = 0;
  const baselineEnd = Date.now() + Math.min(5, seconds) * 1000;
  await Promise.all(
    plant.devices.map(async (d) => {
      const client = new ModbusRTU();
      await client.connectTCP(d.host, { port: d.port });
      client.setID(d.unitId);
      const plan = planRequests(d.points);
      for (let i = 0; i < 10_000_000 && Date.now() < baselineEnd; i++) {
        for (const r of plan) {
          await (r.functionCode === 3 ? client.readHoldingRegisters(r.address, r.length) : client.readInputRegisters(r.address, r.length));
          baselineRegisters += r.length;
        }
      }
      await new Promise<void>((resolve) => client.close(() => resolve()));
    }),
  );
  const baselineRps = baselineRegisters / Math.min(5, seconds);

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
  const agent = spawn(process.execPath, [MAIN_JS, 'run', '--config', configPath], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, LOG_LEVEL: 'warn' } });
  const rss = async (): Promise<number> => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${agent.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  // Warm up 2 s, then measure.
  for (let i = 0; i < 200 && readings === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const [r0, g0, t0] = [readings, registers, Date.now()];
  let peakRss = 0;
  while (Date.now() - t0 < seconds * 1000) {
    peakRss = Math.max(peakRss, await rss());
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const elapsed = (Date.now() - t0) / 1000;
  const [r1, g1] = [readings, registers];
  const endRss = await rss();
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
      agent_rss_mb_peak: Math.round(peakRss),
      agent_rss_mb_end: Math.round(endRss),
      devices: deviceCount,
    }),
  );
} finally {
  await broker.stop();
  await plant.close();
  await rm(dir, { recursive: true, force: true });
}
