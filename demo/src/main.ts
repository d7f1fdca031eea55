#!/usr/bin/env node
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { POLLUTANTS } from '@qingliu/protocol';
import { CHARGED_POLLUTANTS, startPipeline } from './pipeline.js';
import { formatSettlementLine, formatStatusLine } from './status-line.js';

const { values: args } = parseArgs({
  options: {
    'period-s': { type: 'string', default: '5' },
    'poll-ms': { type: 'string', default: '1000' },
    'duration-s': { type: 'string' },
    'work-dir': { type: 'string', default: '.qingliu/demo' },
  },
});
const periodMs = Number(args['period-s']) * 1000;
const pollMs = Number(args['poll-ms']);
const durationS = args['duration-s'] === undefined ? undefined : Number(args['duration-s']);
if (!(periodMs >= 1000) || !(pollMs >= 100) || (durationS !== undefined && !(durationS > 0))) {
  console.error('usage: npm run demo -- [--period-s 5] [--poll-ms 1000] [--duration-s N] [--work-dir DIR]');
  process.exit(2);
}
const workDir = resolve(args['work-dir']);
await mkdir(workDir, { recursive: true });
const logFile = join(workDir, 'demo.log');
const logger = pino({ level: 'info' }, pino.destination({ dest: logFile, sync: false }));

console.log('Qingliu demo: simulated plant -> edge agents -> MQTT -> ingester -> InfluxDB -> anomaly detection -> settlement on chain -> dashboards');
console.log(`Starting InfluxDB, an EVM node (anvil), 3 Modbus outfalls of 2 enterprises... (log: ${logFile})`);
const pipeline = await startPipeline({
  workDir,
  settlementPeriodMs: periodMs,
  pollIntervalMs: pollMs,
  allocationMilligrams: { w01018: 1_000_000n, w21003: 100_000n }, // 1 kg COD, 0.1 kg NH3-N
  logger,
  // Two scripted incidents for the anomaly detection to find (firmware-sim scenario events).
  events: [
    { outfall: 'ent-b-dw001', kind: 'ph-excursion', start: Date.now() + 45_000, end: Date.now() + 75_000, value: 3.2 },
    { outfall: 'ent-a-dw002', kind: 'flatline', start: Date.now() + 90_000, end: Date.now() + 150_000 },
  ],
  onAlert: (alert) => {
    const at = new Date(alert.start).toISOString().slice(11, 19);
    const line = alert.closed
      ? `  alert over: ${alert.outfall} ${alert.kind} ${at}-${new Date(alert.end).toISOString().slice(11, 19)}; its evidence hash ${alert.evidenceHash.slice(0, 18)}… goes on chain (AlertRegistry)`
      : `  ALERT ${alert.enterprise}/${alert.outfall} ${alert.kind} from ${at} (score ${alert.score.toFixed(1)}): ${alert.evidence.note}`;
    process.stdout.write(`${process.stdout.isTTY ? '\r\x1b[2K' : ''}${line}\n`);
  },
});

const { influxd, anvil, broker, status, plant, ledgerAddress, database, tokens } = pipeline;
console.log('');
console.log('Running. Look at:');
console.log(`  HTTP API         ${status.url}/status  (also /api/v1/readings, /api/v1/loads, /metrics, /api/v1/openapi.json)`);
console.log(`                   /api/v1 needs a bearer token (none: the public, on-chain facts only), e.g.`);
console.log(
  `                   curl -H 'Authorization: Bearer ${tokens.bureau}' '${status.url}/api/v1/loads?from=${new Date(Date.now() - 3_600_000).toISOString()}&to=${new Date(Date.now() + 3_600_000).toISOString()}&every=1m'`,
);
console.log(`  Dashboards       (tokens are random per run; each URL carries its own after #)`);
console.log(`    bureau         ${status.url}/dashboard/bureau.html#token=${tokens.bureau}`);
for (const [enterprise, token] of Object.entries(tokens.enterprises)) {
  console.log(`    ${enterprise.padEnd(15)}${status.url}/dashboard/enterprise.html#token=${token}`);
}
console.log(`    public         ${status.url}/dashboard/public.html  (no token: on-chain facts only)`);
console.log(`  MQTT broker      ${broker.url}  (aedes, in-process; per-agent passwords, client ids bound to accounts, topic ACLs)`);
const mqttPort = new URL(broker.url).port;
const { bureauMqtt } = pipeline;
console.log(`                   detected alerts, as the bureau reads them (Debian mosquitto-clients):`);
console.log(`                   mosquitto_sub -h 127.0.0.1 -p ${mqttPort} -u ${bureauMqtt.username} -P '${bureauMqtt.password}' -i ${bureauMqtt.clientId} -t qingliu/v1/bureau/alerts -v`);
console.log(`  InfluxDB         ${influxd.url}  database "${database}", measurement "reading"`);
console.log(`                   influx -host 127.0.0.1 -port ${influxd.port} -database ${database} -execute 'SELECT * FROM reading ORDER BY time DESC LIMIT 8'`);
console.log(`  EVM node         ${anvil.rpcUrl}  (anvil, chain id ${anvil.chainId})`);
console.log(`  EmissionLedger   ${ledgerAddress}  (credits, settlements, Merkle roots: what proofs are checked against)`);
console.log(`  AlertRegistry    ${pipeline.alertRegistryAddress}  (evidence hashes of detected alerts)`);
console.log(`  Blacklist        ${pipeline.blacklistAddress}`);
console.log(`  EnterpriseRegistry ${pipeline.enterpriseRegistryAddress}  (enterprises, outfalls, device keys)`);
for (const [enterprise, account] of Object.entries(pipeline.enterpriseAccounts)) {
  console.log(`    ${enterprise.padEnd(15)}account ${account.address}  (anvil development key ${account.privateKey}: the demo's, never a real one's)`);
}
const [firstEnterprise, firstAccount] = Object.entries(pipeline.enterpriseAccounts)[0]!;
console.log(
  `                   e.g. cast call --rpc-url ${anvil.rpcUrl} ${pipeline.enterpriseRegistryAddress} 'enterpriseOfAccount(address)(bytes32)' ${firstAccount.address}  (${firstEnterprise})`,
);
for (const device of plant.devices) {
  console.log(`  Modbus device    ${device.host}:${device.port} unit ${device.unitId}  ${device.enterprise}/${device.outfall} (${device.device})`);
}
console.log(`  enrolment, keys  ${workDir}`);
console.log('');
console.log(
  `Every ${periodMs / 1000} s the ingester settles: it charges each enterprise's measured load ` +
    `(${CHARGED_POLLUTANTS.map((p) => POLLUTANTS[p].name).join(', ')}) and anchors the Merkle root of the period's readings.`,
);
console.log('Allocation per enterprise (small, so it moves): COD 1 kg, NH3-N 0.1 kg; below zero is debt. Ctrl-C stops everything.');
console.log(
  'Anomaly detection runs on 5 s means of the stored readings; two incidents are scripted at the plant: a pH excursion ' +
    'at ent-b-dw001 after 45 s and frozen analyzers at ent-a-dw002 after 90 s. Alerts: GET /api/v1/alerts, MQTT qingliu/v1/bureau/alerts.',
);
console.log('');

const tty = process.stdout.isTTY;
let stopping = false;
let hinted = false;
pipeline.settler.onSettled((settled) => {
  process.stdout.write(`${tty ? '\r\x1b[2K' : ''}${formatSettlementLine(settled, periodMs)}\n`);
  if (hinted || stopping) return;
  hinted = true;
  // Show an inspector how to check one stored reading against the chain.
  void pipeline.store.readBatch(settled.batch).then((rows) => {
    const r = rows.find((row) => row.pollutant === 'w01018');
    if (!r) return;
    const proofUrl = `${status.url}/api/v1/proofs/${r.device}/${r.seq}?ts=${r.ts}`;
    process.stdout.write(
      `${tty ? '\r\x1b[2K' : ''}  check a stored reading against the chain (another terminal):\n` +
        `    curl -s -H 'Authorization: Bearer ${tokens.bureau}' '${proofUrl}' > proof.json && node cloud/dist/cli/verify-proof.js --rpc ${anvil.rpcUrl} --contract ${ledgerAddress} proof.json\n`,
    );
  });
});

const started = Date.now();
let lastPolled = 0;
let lastAt = started;
const timer = setInterval(() => {
  void (async () => {
    const now = Date.now();
    const polled = pipeline.agents.reduce((sum, agent) => sum + agent.stats().polled, 0);
    const line = formatStatusLine({
      elapsedS: (now - started) / 1000,
      readingsPerS: ((polled - lastPolled) * 1000) / Math.max(1, now - lastAt),
      status: await pipeline.cloud.status(),
    });
    lastPolled = polled;
    lastAt = now;
    if (!stopping) process.stdout.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
  })().catch((error: unknown) => logger.warn({ err: error }, 'status line failed'));
}, 1000);

async function shutdown(reason: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  process.stdout.write(tty ? '\n' : '');
  console.log(`${reason}: draining the edge outboxes, settling the open period, stopping every server...`);
  await pipeline.stop();
  const settled = pipeline.settler.settled();
  const readings = settled.reduce((sum, batch) => sum + batch.readingCount, 0);
  console.log(`Stopped. ${settled.length} batches settled on chain, ${readings} readings anchored.`);
  process.exit(0);
}
process.once('SIGINT', () => void shutdown('Ctrl-C'));
// Output piped into `head` and closed: stop everything as on Ctrl-C, rather than die leaving the servers running.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') void shutdown('output closed');
});
process.once('SIGTERM', () => void shutdown('SIGTERM'));
if (durationS !== undefined) setTimeout(() => void shutdown(`${durationS} s are up`), durationS * 1000);
