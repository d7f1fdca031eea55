import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import type { Logger } from 'pino';
import { stringify } from 'yaml';
import { hashPassword } from '@qingliu/cloud/broker/passwords';
import { createBureauClient } from '@qingliu/cloud/chain/bureau-client';
import { deployAlertRegistry, deployBlacklist, deployEmissionLedger, deployEnterpriseRegistry } from '@qingliu/cloud/chain/deploy';
import { parseCloudConfig } from '@qingliu/cloud/config';
import { hashApiToken } from '@qingliu/cloud/http/roles';
import { DeviceRegistry } from '@qingliu/cloud/registry/device-registry';
import { GB18918_CLASS_1A } from '@qingliu/cloud/registry/permit-limits';
import { startCloudApp } from '@qingliu/cloud/app';
import type { BrokerAccount } from '@qingliu/cloud/broker/broker-accounts';
import type { EmbeddedBroker } from '@qingliu/cloud/broker/embedded-broker';
import type { Cloud } from '@qingliu/cloud/cloud';
import type { PipelineAlert } from '@qingliu/cloud/detection/alert-record';
import type { DetectionService } from '@qingliu/cloud/detection/detection-service';
import type { ApiServer } from '@qingliu/cloud/http/api-server';
import type { Ledger } from '@qingliu/cloud/ports/ledger';
import type { ReadingStore } from '@qingliu/cloud/ports/reading-store';
import type { Settler } from '@qingliu/cloud/settlement/settler';
import { loadDeviceKeys, openConfiguredOutbox, parseEdgeConfig, startEdgeAgent } from '@qingliu/edge';
import type { EdgeAgent, EdgeConfig } from '@qingliu/edge';
import { defaultPlant, startPlant } from '@qingliu/firmware-sim';
import type { Plant, ScenarioEvent } from '@qingliu/firmware-sim';
import type { PollutantCode, Reading } from '@qingliu/protocol';
import { startAnvil, startInfluxd } from '@qingliu/testkit';
import type { AnvilServer, InfluxdServer } from '@qingliu/testkit';

/** Pollutants under permit in the demo: COD and NH3-N, the two water pollutants under national total-load control. */
export const CHARGED_POLLUTANTS: readonly PollutantCode[] = ['w01018', 'w21003'];

export interface PipelineOptions {
  /** Folder for device keys, sequence files, generated configs and the enrolment list. */
  workDir: string;
  /** Settlement period, milliseconds. */
  settlementPeriodMs: number;
  /** Device poll interval, milliseconds. */
  pollIntervalMs: number;
  /** Initial allocation per enterprise, milligrams per pollutant. */
  allocationMilligrams: Partial<Record<PollutantCode, bigint>>;
  logger: Logger;
  /** Called with each group of readings the broker acknowledged from an edge agent. */
  onPublished?: (readings: readonly Reading[]) => void;
  /** Scripted events at the plant (illegal discharge, analyzer faults); none by default. */
  events?: readonly ScenarioEvent[];
  /** Called with each alert when detection first sees it and when it closes. */
  onAlert?: (alert: PipelineAlert) => void;
}

/** The demo's API tokens (random per run): the bureau's and one per enterprise. */
export interface PipelineTokens {
  bureau: string;
  enterprises: Record<string, string>;
}

export interface Pipeline {
  influxd: InfluxdServer;
  anvil: AnvilServer;
  plant: Plant;
  broker: EmbeddedBroker;
  store: ReadingStore;
  ledger: Ledger;
  ledgerAddress: string;
  /** The Blacklist contract the bureau lists enterprises on. */
  blacklistAddress: string;
  /** The AlertRegistry contract detected alerts' evidence hashes are recorded in. */
  alertRegistryAddress: string;
  /** The EnterpriseRegistry: each enterprise registered with its own chain account, its outfalls and device keys. */
  enterpriseRegistryAddress: string;
  /** Each enterprise's chain account (anvil's well-known development keys: a demo's, never a real one's). */
  enterpriseAccounts: Record<string, { address: string; privateKey: string }>;
  /** The bureau's MQTT account: it may read readings, status and detected alerts. */
  bureauMqtt: { username: string; password: string; clientId: string };
  /** Bearer tokens for the HTTP API and the dashboards (`#token=` in a dashboard URL). */
  tokens: PipelineTokens;
  cloud: Cloud;
  settler: Settler;
  agents: EdgeAgent[];
  edgeConfigs: EdgeConfig[];
  registry: DeviceRegistry;
  status: ApiServer;
  /** Anomaly detection over the stored readings: alerts stored, on the API and on MQTT. */
  detection: DetectionService;
  database: string;
  /**
   * Stops the flow of readings: the agents stop polling and drain their
   * outboxes, the ingester stores what is left, and the open period is settled.
   * The servers keep running, so the result can be inspected.
   */
  quiesce(): Promise<void>;
  /** quiesce(), then stops every server and child process. */
  stop(): Promise<void>;
}

/**
 * Starts the whole path on one machine with embedded defaults: firmware-sim
 * Modbus devices -> edge agents -> aedes -> ingester -> InfluxDB -> settlement
 * on an EmissionLedger contract on a local anvil node.
 */
export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const { logger, workDir } = options;
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) {
      await stop().catch((error: unknown) => logger.error({ err: error }, 'stop failed'));
    }
    stops.length = 0;
  };
  try {
    await mkdir(workDir, { recursive: true });
    // Their own process groups: a Ctrl-C reaches only the demo, which settles the open period before it stops them.
    const influxd = await startInfluxd({ ownProcessGroup: true });
    stops.push(() => influxd.stop());
    const anvil = await startAnvil({ ownProcessGroup: true });
    stops.push(() => anvil.stop());

    // Chain: the admin deploys; the bureau allocates; the ingester's oracle key settles.
    // The alert oracle has its own key: its transactions never race the settlements' nonces.
    const [adminKey, bureauKey, oracleKey, alertOracleKey] = anvil.accounts as [string, string, string, string];
    const { address: ledgerAddress } = await deployEmissionLedger({
      rpcUrl: anvil.rpcUrl,
      deployerKey: adminKey,
      bureau: new Wallet(bureauKey).address,
      oracle: new Wallet(oracleKey).address,
    });
    const { address: blacklistAddress } = await deployBlacklist({ rpcUrl: anvil.rpcUrl, deployerKey: adminKey, bureau: new Wallet(bureauKey).address });
    const alertRegistry = await deployAlertRegistry({ rpcUrl: anvil.rpcUrl, deployerKey: adminKey, bureau: new Wallet(bureauKey).address, oracle: new Wallet(alertOracleKey).address });

    const plant = await startPlant({ ...defaultPlant(), events: options.events ?? [] });
    stops.push(() => plant.close());

    // One edge agent per enterprise, configured from the running plant.
    const enterprises = [...new Set(plant.devices.map((d) => d.enterprise))].sort();
    const passwords = new Map(enterprises.map((e) => [e, randomBytes(12).toString('base64url')]));
    const brokerPort = 0;
    const edgeConfigs = enterprises.map((enterprise) =>
      parseEdgeConfig({
        agentId: `edge-${enterprise}`,
        enterprise,
        mqtt: { url: 'mqtt://127.0.0.1:1883', username: `edge-${enterprise}`, password: passwords.get(enterprise) },
        keyDir: join(workDir, `edge-${enterprise}`, 'keys'),
        devices: plant.devices
          .filter((d) => d.enterprise === enterprise)
          .map((d) => ({
            id: d.device,
            outfall: d.outfall,
            transport: 'tcp',
            host: d.host,
            port: d.port,
            unitId: d.unitId,
            pollIntervalMs: options.pollIntervalMs,
            points: d.points,
          })),
      }),
    );

    // Enrolment: each agent makes its device keys on first start; the bureau enrols the public keys.
    const registry = new DeviceRegistry();
    for (const config of edgeConfigs) {
      for (const [device, { publicKeyHex }] of await loadDeviceKeys(config)) {
        const deviceConfig = config.devices.find((d) => d.id === device)!;
        registry.enrol({
          device,
          enterprise: config.enterprise,
          outfall: deviceConfig.outfall,
          publicKey: publicKeyHex,
          sampleIntervalMs: deviceConfig.pollIntervalMs,
          agent: config.agentId,
        });
      }
    }
    await writeFile(
      join(workDir, 'enrolment.json'),
      `${JSON.stringify({ devices: registry.enrolments() }, null, 2)}\n`,
    );

    const ingesterPassword = randomBytes(12).toString('base64url');
    const bureauMqttPassword = randomBytes(12).toString('base64url');
    const accounts: BrokerAccount[] = [
      ...enterprises.map((enterprise) => ({
        username: `edge-${enterprise}`,
        passwordHash: hashPassword(passwords.get(enterprise)!),
        role: 'edge' as const,
        enterprise,
      })),
      { username: 'ingester', passwordHash: hashPassword(ingesterPassword), role: 'ingester' },
      { username: 'bureau', passwordHash: hashPassword(bureauMqttPassword), role: 'bureau' },
    ];
    // The registry of enterprises, outfalls and device keys; each enterprise acts on chain through its own account.
    const { address: enterpriseRegistryAddress } = await deployEnterpriseRegistry({ rpcUrl: anvil.rpcUrl, deployerKey: adminKey, bureau: new Wallet(bureauKey).address });
    // The bureau's set-up: registration, enrolment on chain and the allocations. Closed before the cloud
    // starts its own client for the bureau's verdicts (one client per key keeps the nonces in step).
    const bureau = await createBureauClient({
      rpcUrl: anvil.rpcUrl,
      privateKey: bureauKey,
      address: ledgerAddress,
      registry: enterpriseRegistryAddress,
      blacklist: blacklistAddress,
      alertRegistry: alertRegistry.address,
    });
    let bureauOpen = true;
    stops.push(async () => {
      if (bureauOpen) await bureau.close();
    });
    const enterpriseKeys = anvil.accounts.slice(4);
    if (enterpriseKeys.length < enterprises.length) throw new Error(`anvil has ${anvil.accounts.length} accounts: too few for ${enterprises.length} enterprises`);
    const enterpriseAccounts = Object.fromEntries(
      enterprises.map((enterprise, i) => [enterprise, { address: new Wallet(enterpriseKeys[i]!).address, privateKey: enterpriseKeys[i]! }]),
    );
    for (const enterprise of enterprises) {
      await bureau.registry.registerEnterprise(enterprise, 'demo-district', enterpriseAccounts[enterprise]!.address);
      for (const outfall of new Set(plant.devices.filter((d) => d.enterprise === enterprise).map((d) => d.outfall))) {
        await bureau.registry.addOutfall(enterprise, outfall);
      }
    }
    for (const enrolment of registry.enrolments()) {
      await bureau.registry.enrollDevice({ device: enrolment.device, enterprise: enrolment.enterprise, outfall: enrolment.outfall, publicKey: enrolment.publicKey });
    }
    for (const enterprise of enterprises) {
      for (const [pollutant, milligrams] of Object.entries(options.allocationMilligrams)) {
        await bureau.allocate(enterprise, pollutant as PollutantCode, milligrams);
      }
    }

    bureauOpen = false;
    await bureau.close();

    // The cloud through its one composition root, configured as a deployment would be (cloud.sample.yaml).
    const database = 'qingliu';
    // Settlements are journaled first: a chain outage delays them, never drops or repeats one.
    // A new chain per run, so a new journal per run too.
    const runDir = await mkdtemp(join(workDir, 'run-'));
    stops.push(() => rm(runDir, { recursive: true, force: true }));
    // The bureau's and each enterprise's API token: random per run; the API keeps only their SHA-256.
    const tokens: PipelineTokens = {
      bureau: randomBytes(18).toString('base64url'),
      enterprises: Object.fromEntries(enterprises.map((e) => [e, randomBytes(18).toString('base64url')])),
    };
    const secrets: Record<string, string> = { DEMO_ORACLE_KEY: oracleKey, DEMO_ALERT_ORACLE_KEY: alertOracleKey, DEMO_BUREAU_KEY: bureauKey };
    const cloudConfig = parseCloudConfig({
      embeddedBroker: { port: brokerPort, accounts },
      mqtt: { username: 'ingester', password: ingesterPassword, clientId: 'ingester-1' },
      influx: { url: influxd.url, database },
      registryFile: join(workDir, 'enrolment.json'),
      deadLetterDir: join(runDir, 'dead-letters'),
      settlement: {
        periodMs: options.settlementPeriodMs,
        pollutants: [...CHARGED_POLLUTANTS],
        rpcUrl: anvil.rpcUrl,
        oracleKeyEnv: 'DEMO_ORACLE_KEY',
        ledgerAddress,
        journalPath: join(runDir, 'settlements.jsonl'),
      },
      http: { port: 0 },
      api: {
        tokens: [
          { sha256: hashApiToken(tokens.bureau), role: 'bureau' },
          ...Object.entries(tokens.enterprises).map(([enterprise, token]) => ({ sha256: hashApiToken(token), role: 'enterprise' as const, enterprise })),
        ],
        limits: GB18918_CLASS_1A,
        dashboards: true,
        blacklistAddress,
        bureauKeyEnv: 'DEMO_BUREAU_KEY',
        eventPollMs: 250,
      },
      // Detection on 5-second means (minute means in service), published to the bureau over the broker.
      detection: {
        sampleMs: 5_000,
        historyMs: 60 * 60_000,
        detectMs: 5 * 60_000,
        closeAfterMs: 20_000,
        intervalMs: Math.max(2_000, options.settlementPeriodMs),
        alertRegistryAddress: alertRegistry.address,
        alertOracleKeyEnv: 'DEMO_ALERT_ORACLE_KEY',
      },
    });
    const app = await startCloudApp(cloudConfig, {
      logger,
      registry,
      secret: (name: string) => secrets[name],
      ...(options.onAlert ? { onAlert: options.onAlert } : {}),
    });
    stops.push(() => app.close());
    const { cloud, store } = app;
    const broker = app.broker!;
    const ledger = app.ledger!;
    for (const config of edgeConfigs) config.mqtt.url = app.mqttUrl;

    const agents: EdgeAgent[] = [];
    // Run by quiesce(), in reverse order: the agents first, then this.
    const flowStops: (() => Promise<void>)[] = [];
    let quiesced: Promise<void> | undefined;
    const quiesce = (): Promise<void> => {
      quiesced ??= (async () => {
        for (const stop of flowStops.reverse()) {
          await stop().catch((error: unknown) => logger.error({ err: error }, 'stop failed'));
        }
      })();
      return quiesced;
    };
    stops.push(quiesce);

    flowStops.push(async () => {
      // The agents have drained into the broker; let the ingester store all of it, then settle.
      const published = agents.reduce((sum, agent) => sum + agent.stats().published, 0);
      const deadline = Date.now() + 10_000;
      while (cloud.ingester.stats().stored < published && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await cloud.close();
    });

    for (const config of edgeConfigs) {
      await writeFile(
        join(workDir, `edge-${config.enterprise}`, 'edge.yaml'),
        stringify({ ...config, mqtt: { ...config.mqtt, password: '(generated; not written to disk)' } }),
        { mode: 0o600 },
      );
    }
    for (const config of edgeConfigs) {
      const edgeLogger = logger.child({ stage: 'edge', agent: config.agentId });
      const agent = await startEdgeAgent({
        config,
        logger: edgeLogger,
        ...(await openConfiguredOutbox(config, edgeLogger)),
        ...(options.onPublished ? { onPublished: options.onPublished } : {}),
      });
      agents.push(agent);
      flowStops.push(() => agent.close({ drainMs: 10_000 }));
    }

    return {
      influxd,
      anvil,
      plant,
      broker,
      store,
      ledger,
      ledgerAddress,
      blacklistAddress,
      alertRegistryAddress: alertRegistry.address,
      enterpriseRegistryAddress,
      enterpriseAccounts,
      bureauMqtt: { username: 'bureau', password: bureauMqttPassword, clientId: 'bureau' },
      tokens,
      cloud,
      settler: cloud.settler!, // a ledger was given, so the cloud settles
      agents,
      edgeConfigs,
      registry,
      status: app.http,
      detection: app.detection!.service,
      database,
      quiesce,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
