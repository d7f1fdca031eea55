/**
 * The whole system as separate processes on loopback, each one the suite can
 * kill: a firmware-sim plant, one edge agent per enterprise, Mosquitto, two
 * ingesters on one shared subscription (the first settles), InfluxDB and
 * anvil with the EmissionLedger contract.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Wallet } from 'ethers';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { createBureauClient } from '@qingliu/cloud/chain/bureau-client';
import { deployEmissionLedger } from '@qingliu/cloud/chain/deploy';
import { createInfluxStore } from '@qingliu/cloud/store/influx-store';
import type { ReadingStore } from '@qingliu/cloud/ports/reading-store';
import { EDGE_NODE_FLAGS, loadDeviceKeys, parseEdgeConfig } from '@qingliu/edge';
import type { EdgeConfig } from '@qingliu/edge';
import { LAYOUT_NAMES, describePoints } from '@qingliu/firmware-sim';
import type { LayoutName } from '@qingliu/firmware-sim';
import { startAnvil, startInfluxd, startMosquitto } from '@qingliu/testkit';
import type { AnvilServer, InfluxdServer, MosquittoServer } from '@qingliu/testkit';
import { CHARGED_POLLUTANTS } from '../pipeline.js';
import { managedProcess } from './managed-process.js';
import type { CrashRecord, ManagedProcess } from './managed-process.js';
import type { SystemOptions } from './options.js';
import { ProducedLog } from './produced-log.js';
import { startTcpProxy } from './tcp-proxy.js';
import type { TcpProxy } from './tcp-proxy.js';

export const DATABASE = 'qingliu';

/** Compiled entry points, found beside each package's index. */
const entry = (pkg: string, file: string): string => fileURLToPath(new URL(file, import.meta.resolve(pkg)));
const EDGE_MAIN = entry('@qingliu/edge', './main.js');
const CLOUD_MAIN = fileURLToPath(import.meta.resolve('@qingliu/cloud/main'));
const PLANT_CLI = entry('@qingliu/firmware-sim', './cli.js');

export interface DeviceInfo {
  device: string;
  enterprise: string;
  outfall: string;
  sampleIntervalMs: number;
}

export interface EdgeAgentHandle {
  enterprise: string;
  process: ManagedProcess;
  configPath: string;
  config: EdgeConfig;
  /** Rewrites the config with another outbox bound (taken at the next start). */
  setOutboxBytes(maxBytes: number): Promise<void>;
}

export interface IngesterHandle {
  process: ManagedProcess;
  /** Its HTTP API, from its ready line (a new port at each start). */
  url(): string;
}

export interface Cluster {
  workDir: string;
  options: SystemOptions;
  influxd(): InfluxdServer;
  /** Stops InfluxDB, keeping its data folder. */
  influxDown(): Promise<void>;
  /** Starts InfluxDB again on the same data folder and port. */
  influxUp(): Promise<void>;
  mosquitto: MosquittoServer;
  anvil: AnvilServer;
  ledgerAddress: string;
  ledgerFromBlock: number;
  /** Private keys: the bureau's, the oracle's (the settling ingester) and a stranger's (funded, no role). */
  keys: { bureau: string; oracle: string; stranger: string };
  enterprises: string[];
  devices: DeviceInfo[];
  agents: EdgeAgentHandle[];
  /** The agent whose broker connection runs through `fillProxy`. */
  fillAgent: EdgeAgentHandle;
  fillProxy: TcpProxy;
  /** [the settling ingester, the other one]. */
  ingesters: [IngesterHandle, IngesterHandle];
  /** The broker account the abuse phase publishes with (any client may publish on a readings topic). */
  abuser: { username: string; password: string };
  produced: ProducedLog;
  /** `batch rejected` lines the ingesters logged, by code (across restarts). */
  rejectionsLogged: Map<string, number>;
  store: ReadingStore;
  plant: ManagedProcess;
  /** Every exit nobody asked for, and servers found gone. */
  crashes(): CrashRecord[];
  stop(): Promise<void>;
}

const enterpriseName = (i: number): string => `ent-${String(i + 1).padStart(2, '0')}`;

/** Starts everything and resolves once readings flow end to end. Stops what it started if it fails. */
export async function startCluster(options: SystemOptions, workDir: string): Promise<Cluster> {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    stops.length = 0;
  };
  try {
    const logDir = join(workDir, 'logs');
    await mkdir(logDir, { recursive: true });
    const passwords = new Map<string, string>();
    const password = (user: string): string => {
      if (!passwords.has(user)) passwords.set(user, randomBytes(12).toString('base64url'));
      return passwords.get(user)!;
    };
    const enterpriseCount = Math.ceil(options.outfalls / options.outfallsPerEnterprise);
    const enterprises = Array.from({ length: enterpriseCount }, (_, i) => enterpriseName(i));
    const users = Object.fromEntries([...enterprises.map((e) => `edge-${e}`), 'ingester', 'abuser'].map((u) => [u, password(u)]));

    let influxd = await startInfluxd();
    let influxUp = true;
    stops.push(() => (influxUp ? influxd.stop() : Promise.resolve()));
    // Persistence: the ingesters' sessions and their queued QoS 1 messages survive a broker restart.
    const mosquitto = await startMosquitto({ users, persistence: true });
    stops.push(() => mosquitto.stop());
    const anvil = await startAnvil({ accounts: 6 });
    stops.push(async () => {
      anvil.resume();
      await anvil.stop();
    });

    const [adminKey, bureauKey, oracleKey, , , strangerKey] = anvil.accounts as [string, string, string, string, string, string];
    const deployed = await deployEmissionLedger({
      rpcUrl: anvil.rpcUrl,
      deployerKey: adminKey,
      bureau: new Wallet(bureauKey).address,
      oracle: new Wallet(oracleKey).address,
    });
    const bureau = await createBureauClient({ rpcUrl: anvil.rpcUrl, privateKey: bureauKey, address: deployed.address });
    try {
      for (const enterprise of enterprises) {
        for (const pollutant of CHARGED_POLLUTANTS) await bureau.allocate(enterprise, pollutant, options.allocationMilligrams);
      }
    } finally {
      await bureau.close();
    }

    // The plant: one Modbus device per outfall, in its own process, on an accelerated clock.
    const outfalls = Array.from({ length: options.outfalls }, (_, i) => {
      const enterprise = enterprises[Math.floor(i / options.outfallsPerEnterprise)]!;
      const outfall = `${enterprise}-dw${String((i % options.outfallsPerEnterprise) + 1).padStart(3, '0')}`;
      return { enterprise, outfall, device: `${outfall}-mon`, layout: LAYOUT_NAMES[i % LAYOUT_NAMES.length]!, unitId: 1 };
    });
    const scenarioPath = join(workDir, 'plant.yaml');
    await writeFile(scenarioPath, stringify({ speed: options.plantSpeed, outfalls, events: [] }));
    const listening = new Map<string, { host: string; port: number }>();
    const plant = managedProcess({
      name: 'plant',
      args: () => [PLANT_CLI, '--scenario', scenarioPath],
      logFile: join(logDir, 'plant.log'),
      ready: (line) => line['text'] === 'plant running; Ctrl-C stops it',
      onLine: (line) => {
        const match = /device (\S+)\s+modbus tcp ([\d.]+):(\d+)/.exec(String(line['text'] ?? ''));
        if (match) listening.set(match[1]!, { host: match[2]!, port: Number(match[3]) });
      },
    });
    stops.push(() => plant.close());
    await plant.start();

    // Edge agents: one per enterprise. The last one reaches the broker through a proxy the suite can cut.
    const fillProxy = await startTcpProxy(mosquitto.port);
    stops.push(() => fillProxy.close());
    const produced = new ProducedLog();
    const agents: EdgeAgentHandle[] = [];
    for (const [index, enterprise] of enterprises.entries()) {
      const agentId = `edge-${enterprise}`;
      const dir = join(workDir, agentId);
      const configPath = join(dir, 'edge.yaml');
      const brokerPort = index === enterprises.length - 1 ? fillProxy.port : mosquitto.port;
      const input = {
        agentId,
        enterprise,
        // MQTT 5 at QoS 1: Mosquitto 2.0 forgets shared subscriptions over its restart, and only a PUBACK can tell
        // the agent that no ingester took a batch (it then waits in the outbox); the cloud drops copies by device and seq.
        mqtt: { url: `mqtt://127.0.0.1:${brokerPort}`, username: agentId, password: password(agentId), protocolVersion: 5 as const, qos: 1 as const },
        keyDir: join(dir, 'keys'),
        devices: outfalls
          .filter((o) => o.enterprise === enterprise)
          .map((o) => ({
            id: o.device,
            outfall: o.outfall,
            transport: 'tcp' as const,
            ...listening.get(o.device)!,
            unitId: o.unitId,
            pollIntervalMs: options.pollIntervalMs,
            points: describePoints(o.layout as LayoutName),
          })),
      };
      const config = parseEdgeConfig(input);
      await mkdir(dir, { recursive: true });
      const write = (maxBytes?: number): Promise<void> =>
        writeFile(configPath, stringify(maxBytes === undefined ? input : { ...input, outbox: { maxBytes } }), { mode: 0o600 });
      await write();
      const process = managedProcess({
        name: agentId,
        args: () => [...EDGE_NODE_FLAGS, EDGE_MAIN, 'run', '--config', configPath],
        env: { ...globalThis.process.env, LOG_LEVEL: 'debug' },
        logFile: join(logDir, `${agentId}.log`),
        ready: (line) => line['msg'] === 'edge agent started',
        onLine: (line, run) => produced.onAgentLine(agentId, run, line),
      });
      stops.push(() => process.close());
      agents.push({ enterprise, process, configPath, config, setOutboxBytes: (maxBytes) => write(maxBytes) });
    }

    // Enrolment: the agents' device keys (made here on first use, in each agent's key folder).
    const devices: DeviceInfo[] = [];
    const enrolment: Record<string, unknown>[] = [];
    for (const { config } of agents) {
      for (const [device, { publicKeyHex }] of await loadDeviceKeys(config)) {
        const d = config.devices.find((x) => x.id === device)!;
        devices.push({ device, enterprise: config.enterprise, outfall: d.outfall, sampleIntervalMs: d.pollIntervalMs });
        enrolment.push({ device, enterprise: config.enterprise, outfall: d.outfall, publicKey: publicKeyHex, sampleIntervalMs: d.pollIntervalMs, agent: config.agentId });
      }
    }
    const registryFile = join(workDir, 'enrolment.json');
    await writeFile(registryFile, JSON.stringify({ devices: enrolment }, null, 2));

    // Two ingesters on one shared subscription, each with its write-ahead journal; the first settles.
    const rejectionsLogged = new Map<string, number>();
    const ingesters = [1, 2].map((n) => {
      const name = `ingester-${n}`;
      const configPath = join(workDir, `${name}.yaml`);
      const config = {
        mqtt: { url: mosquitto.url, username: 'ingester', passwordEnv: 'QINGLIU_MQTT_PASSWORD', clientId: name, sharedGroup: 'ingest' },
        influx: { url: influxd.url, database: DATABASE, timeoutMs: 5_000 },
        registryFile,
        deadLetterDir: join(workDir, `${name}-dead-letters`),
        journalDir: join(workDir, `${name}-journal`),
        http: { host: '127.0.0.1', port: 0 },
        // Both: the one that does not settle must assign readings to the same periods.
        settlementPeriodMs: options.settlementPeriodMs,
        ...(n === 1
          ? {
              settlement: {
                pollutants: [...CHARGED_POLLUTANTS],
                rpcUrl: anvil.rpcUrl,
                oracleKeyEnv: 'QINGLIU_ORACLE_KEY',
                ledgerAddress: deployed.address,
                ledgerFromBlock: deployed.blockNumber,
                journalPath: join(workDir, `${name}-settlements.jsonl`),
                // A batch settles only once the other ingester has stored its readings of it too.
                waitForIngesters: ['ingester-2'],
              },
            }
          : {}),
      };
      const process = managedProcess({
        name,
        args: () => [CLOUD_MAIN, '--config', configPath],
        env: {
          ...globalThis.process.env,
          QINGLIU_MQTT_PASSWORD: password('ingester'),
          ...(n === 1 ? { QINGLIU_ORACLE_KEY: oracleKey } : {}),
        },
        logFile: join(logDir, `${name}.log`),
        ready: (line) => line['ready'] === true,
        onLine: (line) => {
          if (line['msg'] !== 'batch rejected') return;
          const code = String(line['code']);
          rejectionsLogged.set(code, (rejectionsLogged.get(code) ?? 0) + 1);
        },
      });
      stops.push(() => process.close());
      return { configPath, config, handle: { process, url: () => String(process.readyLine()?.['http']) } };
    });
    for (const { configPath, config } of ingesters) await writeFile(configPath, stringify(config));
    for (const { handle } of ingesters) await handle.process.start();
    for (const { process } of agents) await process.start();

    const store = await createInfluxStore({ url: influxd.url, database: DATABASE, timeoutMs: 30_000 });
    const servers = (): { name: string; pid: number | undefined }[] => [
      { name: 'influxd', pid: influxUp ? influxd.pid : undefined },
      { name: 'mosquitto', pid: mosquitto.pid() },
      { name: 'anvil', pid: anvil.pid },
    ];
    const cluster: Cluster = {
      workDir,
      options,
      influxd: () => influxd,
      async influxDown() {
        influxUp = false;
        await influxd.stop({ keepData: true });
      },
      async influxUp() {
        influxd = await startInfluxd({ dataDir: influxd.dataDir, port: influxd.port });
        influxUp = true;
      },
      mosquitto,
      anvil,
      ledgerAddress: deployed.address,
      ledgerFromBlock: deployed.blockNumber,
      keys: { bureau: bureauKey, oracle: oracleKey, stranger: strangerKey },
      enterprises,
      devices,
      agents,
      fillAgent: agents[agents.length - 1]!,
      fillProxy,
      ingesters: [ingesters[0]!.handle, ingesters[1]!.handle],
      abuser: { username: 'abuser', password: password('abuser') },
      produced,
      rejectionsLogged,
      store,
      plant,
      crashes() {
        const exits = [plant, ...agents.map((a) => a.process), ...ingesters.map((i) => i.handle.process)].flatMap((p) => p.crashes);
        const gone = servers()
          .filter((s) => s.pid !== undefined && !alive(s.pid))
          .map((s) => ({ process: s.name, code: null, signal: null, at: Date.now() }));
        return [...exits, ...gone];
      },
      stop: stopAll,
    };
    return cluster;
  } catch (error) {
    await stopAll();
    throw error;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A logger for the suite's own notes (refusals on chain, progress), to a file in the work folder. */
export function suiteLogger(workDir: string): pino.Logger {
  return pino({ level: 'info' }, pino.destination({ dest: join(workDir, 'logs', 'suite.log'), sync: true, mkdir: true }));
}
