/**
 * End-to-end ingest rate, from MQTT publish (QoS 1, signed batches) to rows
 * in InfluxDB, against the raw ceiling measured in the same run: the same
 * readings as line protocol posted straight to InfluxDB's /write with the same
 * batch size, one writer. Real parts: Debian's influxd and mosquitto, the
 * ingester as its own process (node cloud/dist/main.js).
 *
 *   node bench/dist/ingest-pipeline.js [--readings 200000] [--batch 500] [--connections 4] [--processes 1] [--verify-threads N] [--no-journal]
 *
 * `--verify-threads N` sets the ingester's `verifyThreads` (left out: its default, one per core but one);
 * 0 checks and encodes on the ingester's own thread, as before the verify threads.
 *
 * `--processes 2` runs two ingester processes on the shared subscription (how Qingliu scales out);
 * each then looks every reading up in InfluxDB, as ingesters with others in their group do.
 *
 * The readings are live: sampled within the last half minute, as a plant's are when they arrive.
 * `--late` dates them hours back instead (a replay after a long outage): each write of late readings
 * also has the store rebuild the rollup buckets they fall in (store/rollup-levels.ts), which the raw
 * ceiling does not do.
 *
 * Last line: {"pipeline_rps":...,"raw_rps":...,"ratio":...}
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connectAsync } from 'mqtt';
import { stringify } from 'yaml';
import { BATCH_VERSION, generateDeviceKeyPair, readingsTopic, signBatch } from '@qingliu/protocol';
import type { Reading } from '@qingliu/protocol';
import { startInfluxd, startMosquitto } from '@qingliu/testkit';

const { values } = parseArgs({
  allowNegative: true,
  options: {
    readings: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '500' },
    connections: { type: 'string', default: '4' },
    processes: { type: 'string', default: '1' },
    late: { type: 'boolean', default: false },
    journal: { type: 'boolean', default: true },
    'verify-threads': { type: 'string' },
  },
});
const total = Number(values.readings);
const connections = Number(values.connections);
const processes = Number(values.processes);
const journal = values.journal;
const batchSize = Number(values.batch);
const devices = 8;
const main = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'cloud', 'dist', 'main.js');

const dir = await mkdtemp(join(tmpdir(), 'qingliu-bench-'));
const influxd = await startInfluxd();
const mosquitto = await startMosquitto();
const keys = Array.from({ length: devices }, () => generateDeviceKeyPair());
const ids = keys.map((_, i) => `dev-${i}`);

async function query(db: string, q: string): Promise<unknown> {
  const response = await fetch(`${influxd.url}/query?db=${db}&q=${encodeURIComponent(q)}`, { method: 'POST' });
  return response.json();
}
async function count(db: string, measurement: string): Promise<number> {
  const result = (await query(db, `SELECT count(value) FROM ${measurement}`)) as { results: { series?: { values: [string, number][] }[] }[] };
  return result.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
}

// The same readings for both runs: live (within the last half minute, 1 ms apart at most 25,000 per device) or late.
const perDevice = Math.ceil(total / devices);
const spacingMs = values.late ? 1000 : Math.max(1, Math.floor(25_000 / perDevice));
const t0 = values.late ? Date.now() - 24 * 3_600_000 : Date.now() - 30_000;
const batches: { device: number; readings: Reading[] }[] = [];
for (let n = 0, seq = 0; n < total; seq += 1) {
  for (let d = 0; d < devices && n < total; d += 1) {
    const size = Math.min(batchSize, total - n);
    const readings: Reading[] = Array.from({ length: size }, (_, i) => ({
      enterprise: 'ent-a', outfall: `out-${d}`, device: ids[d]!, pollutant: 'w01018', value: 20 + ((seq * batchSize + i) % 977) / 13,
      unit: 'mg/L', ts: t0 + (seq * batchSize + i) * spacingMs, seq: seq * batchSize + i, flag: 'N',
    }));
    batches.push({ device: d, readings });
    n += size;
  }
}

/** CPU time (user + system) of a process so far, microseconds, from /proc. */
async function cpuMicros(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100; // utime, stime in clock ticks (100 Hz)
}

// Raw ceiling: line protocol, same batch size, one writer.
await query('raw', 'CREATE DATABASE raw');
const lines = batches.map(({ readings }) =>
  readings.map((r) => `reading,device=${r.device},enterprise=${r.enterprise},outfall=${r.outfall},pollutant=${r.pollutant} flag="N",seq=${r.seq}i,unit="mg/L",value=${r.value},batch=1i ${r.ts}`).join('\n'),
);
const influxdBeforeRaw = await cpuMicros(influxd.pid);
let started = performance.now();
for (const body of lines) {
  const response = await fetch(`${influxd.url}/write?db=raw&precision=ms`, { method: 'POST', body });
  if (response.status !== 204) throw new Error(`raw write failed: ${response.status} ${await response.text()}`);
}
const rawSeconds = (performance.now() - started) / 1000;
const influxdRawSeconds = ((await cpuMicros(influxd.pid)) - influxdBeforeRaw) / 1e6;
if ((await count('raw', 'reading')) !== total) throw new Error('raw run lost points');

// Pipeline: signed batches over MQTT into the ingester process.
const payloads = batches.map(({ device, readings }) =>
  JSON.stringify(signBatch({ v: BATCH_VERSION, enterprise: 'ent-a', device: ids[device]!, readings }, keys[device]!.privateKeyPem)),
);
await writeFile(join(dir, 'enrolment.json'), JSON.stringify({ devices: keys.map((k, d) => ({ device: ids[d], enterprise: 'ent-a', outfall: `out-${d}`, publicKey: k.publicKeyHex, sampleIntervalMs: 1000 })) }));
const configs = Array.from({ length: processes }, (_, n) => ({
  // With one process its connections are alone in the group; with more, each looks every reading up.
  mqtt: { url: mosquitto.url, clientId: `ingester-bench-${n}`, sharedGroup: 'ingest', connections, aloneInGroup: processes === 1 },
  influx: { url: influxd.url, database: 'qingliu' },
  registryFile: join(dir, 'enrolment.json'),
  deadLetterDir: join(dir, `dead-${n}`),
  ...(journal ? { journalDir: join(dir, `journal-${n}`) } : {}),
  maxPayloadBytes: 16 * 1024 * 1024,
  ...(values['verify-threads'] === undefined ? {} : { verifyThreads: Number(values['verify-threads']) }),
  http: { port: 0 },
}));
for (const [n, config] of configs.entries()) await writeFile(join(dir, `cloud-${n}.yaml`), stringify(config));
// INGESTER_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", to profile the ingester.
const nodeArgs = process.env.INGESTER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
const ingesters = configs.map((_, n) => spawn(process.execPath, [...nodeArgs, main, '--config', join(dir, `cloud-${n}.yaml`)], { stdio: ['ignore', 'pipe', 'ignore'] }));
const statusUrls = await Promise.all(
  ingesters.map(
    (ingester) =>
      new Promise<string>((resolve, reject) => {
        ingester.stdout!.on('data', (chunk: Buffer) => {
          const line = chunk.toString().split('\n').find((l) => l.includes('"ready":true'));
          if (line) resolve(`${(JSON.parse(line) as { http: string }).http}/status`);
        });
        ingester.once('exit', (code) => reject(new Error(`ingester exited ${code}`)));
      }),
  ),
);
const publisher = await connectAsync(mosquitto.url, { clientId: 'bench-publisher' });
// CPU of every process on the path, to see where the two cores go.
const others = { influxd: influxd.pid, mosquitto: mosquitto.pid()!, 'bench (publisher)': process.pid };
const othersBefore = Object.fromEntries(await Promise.all(Object.entries(others).map(async ([name, pid]) => [name, await cpuMicros(pid)] as const)));
const ingestersCpu = async (): Promise<number> => (await Promise.all(ingesters.map((i) => cpuMicros(i.pid!)))).reduce((a, b) => a + b, 0);
const cpuBefore = await ingestersCpu();
started = performance.now();
const window = 64;
for (let i = 0; i < payloads.length; i += window) {
  await Promise.all(payloads.slice(i, i + window).map((p, j) => publisher.publishAsync(readingsTopic('ent-a', ids[batches[i + j]!.device]!), p, { qos: 1 })));
}
// Watch the ingester's own count (cheap), then check InfluxDB's.
const deadline = performance.now() + 600_000;
for (;;) {
  const statuses = await Promise.all(statusUrls.map(async (url) => (await (await fetch(url)).json()) as { ingest: { stored: number } }));
  if (statuses.reduce((n, s) => n + s.ingest.stored, 0) >= total || performance.now() > deadline) break;
  await new Promise((resolve) => setTimeout(resolve, 10));
}
const pipelineSeconds = (performance.now() - started) / 1000;
const ingesterCpuMicros = (await ingestersCpu()) - cpuBefore;
const othersCpu = await Promise.all(Object.entries(others).map(async ([name, pid]) => `${name} ${(((await cpuMicros(pid)) - othersBefore[name]!) / 1e6).toFixed(2)} s`));
const stored = await count('qingliu', 'reading');
/** Peak resident memory of a process, MB, from /proc (VmHWM). */
async function peakRssMb(pid: number): Promise<number> {
  const kb = /VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Math.round(Number(kb) / 1024);
}
const ingesterRss = await Promise.all(ingesters.map((i) => peakRssMb(i.pid!)));

await publisher.endAsync();
await Promise.all(ingesters.map((ingester) => new Promise((resolve) => {
  ingester.once('exit', resolve);
  ingester.kill('SIGTERM');
})));
await mosquitto.stop();
await influxd.stop();
await rm(dir, { recursive: true, force: true });

if (stored !== total) throw new Error(`pipeline stored ${stored} of ${total}`);
const pipelineRps = total / pipelineSeconds;
const rawRps = total / rawSeconds;
console.log(`readings ${total}, batch ${batchSize}, devices ${devices}, ingester processes ${processes} x connections ${connections}, verify threads ${values['verify-threads'] ?? 'default'}, journal ${journal ? 'on' : 'off'}, readings ${values.late ? 'late (a day old)' : 'live'}; raw ${rawSeconds.toFixed(2)} s, pipeline ${pipelineSeconds.toFixed(2)} s`);
console.log(`ingester CPU (all processes) ${(ingesterCpuMicros / 1e6).toFixed(2)} s in ${pipelineSeconds.toFixed(2)} s (${(ingesterCpuMicros / total).toFixed(1)} us per reading); 2 cores carry publisher, mosquitto, ingester and influxd`);
console.log(`ingester peak RSS: ${ingesterRss.map((mb) => `${mb} MB`).join(', ')}`);
console.log(`CPU of the others in the same ${pipelineSeconds.toFixed(2)} s: ${othersCpu.join(', ')}; influxd in the raw run: ${influxdRawSeconds.toFixed(2)} s in ${rawSeconds.toFixed(2)} s`);
console.log(
  JSON.stringify({
    pipeline_rps: Math.round(pipelineRps),
    raw_rps: Math.round(rawRps),
    ratio: Number((pipelineRps / rawRps).toFixed(3)),
    ingester_cpu_us_per_reading: Number((ingesterCpuMicros / total).toFixed(2)),
  }),
);
