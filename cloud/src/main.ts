#!/usr/bin/env node
/**
 * The cloud ingester as a process.
 *
 *   node cloud/dist/main.js --config cloud.yaml
 *
 * Wires the adapters named in the config (broker, InfluxDB, dead letters,
 * optionally the chain) into the pipeline; SIGINT/SIGTERM stop taking
 * messages, flush, settle the open period (when this process settles) and exit.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { isQingliuError } from '@qingliu/protocol';
import type { PollutantCode } from '@qingliu/protocol';
import { createEmbeddedBroker } from './broker/embedded-broker.js';
import type { EmbeddedBroker } from './broker/embedded-broker.js';
import { createDurableLedger } from './chain/durable-ledger.js';
import { createEvmLedger } from './chain/evm-ledger.js';
import { createProofService } from './proofs/proof-service.js';
import { startCloud } from './cloud.js';
import type { Ledger } from './ports/ledger.js';
import { loadCloudConfig, settlementPeriodOf } from './config.js';
import { createFileDeadLetterStore } from './dead-letter/file-dead-letter-store.js';
import { IngestJournal } from './ingest/ingest-journal.js';
import { startApiServer } from './http/api-server.js';
import { createLedgerEventFeed } from './chain/ledger-events.js';
import { createAgentStatusWatcher } from './ingest/agent-status-watcher.js';
import { DeviceRegistry } from './registry/device-registry.js';
import { createInfluxStore } from './store/influx-store.js';
import { createInfluxDedupeIndex } from './store/influx-dedupe-index.js';
import { INFLUX_ENCODER_MODULE } from './store/influx-encoder.js';
import { createInfluxAlertStore } from './store/influx-alert-store.js';
import { createInfluxIngestProgress } from './store/influx-ingest-progress.js';
import { createBureauClient } from './chain/bureau-client.js';
import type { BureauClient } from './chain/bureau-client.js';
import { createEvmEnterpriseRecord } from './chain/evm-enterprise-record.js';
import { createEvmAlertLedger } from './chain/evm-alert-ledger.js';
import { createMqttAlertPublisher } from './detection/mqtt-alert-publisher.js';
import { startDetectionService } from './detection/detection-service.js';
import type { CloudConfig } from './config.js';
import type { AlertLedger } from './ports/alert-ledger.js';
import type { AlertStore } from './ports/alert-store.js';
import type { ReadingStore } from './ports/reading-store.js';

/** Detection as the config asks: its alert store, MQTT publisher and AlertRegistry adapter. */
async function startDetection(
  config: CloudConfig,
  ctx: { store: ReadingStore; registry: DeviceRegistry; mqttUrl: string; password: string | undefined },
): Promise<{ alerts: AlertStore; alertLedger: AlertLedger | undefined; close(): Promise<void> }> {
  const d = config.detection!;
  const closers: (() => Promise<void>)[] = [];
  const alerts = await createInfluxAlertStore(config.influx);
  let alertLedger: AlertLedger | undefined;
  if (d.alertRegistryAddress) {
    if (!config.settlement) throw new Error('detection.alertRegistryAddress needs settlement (the chain to record on)');
    const key = process.env[d.alertOracleKeyEnv];
    if (!key) throw new Error(`detection.alertOracleKeyEnv: environment variable ${d.alertOracleKeyEnv} is not set`);
    alertLedger = await createEvmAlertLedger({
      rpcUrl: config.settlement.rpcUrl,
      privateKey: key,
      address: d.alertRegistryAddress,
      ...(config.settlement.chain ? { profile: config.settlement.chain } : {}),
      knownIds: ctx.registry.list().flatMap((device) => [device.enterprise, device.outfall]),
      logger: logger.child({ stage: 'chain' }),
    });
    closers.push(() => alertLedger!.close());
  }
  const publisher =
    d.publish && config.mqtt.username !== undefined && ctx.password !== undefined
      ? await createMqttAlertPublisher({ url: ctx.mqttUrl, username: config.mqtt.username, password: ctx.password, clientId: `${config.mqtt.clientId}-alerts` })
      : undefined;
  if (publisher) closers.push(() => publisher.close());
  const service = await startDetectionService({
    store: ctx.store,
    alerts,
    registry: ctx.registry,
    alertLedger,
    publish: publisher ? (alert) => publisher.publish(alert) : undefined,
    ...(d.detectors ? { detectors: d.detectors } : {}),
    sampleMs: d.sampleMs,
    historyMs: d.historyMs,
    detectMs: d.detectMs,
    closeAfterMs: d.closeAfterMs,
    intervalMs: d.intervalMs,
    logger: logger.child({ stage: 'detect' }),
  });
  return {
    alerts,
    alertLedger,
    async close() {
      await service.close();
      for (const close of closers.reverse()) await close();
    },
  };
}

const { values } = parseArgs({ options: { config: { type: 'string', short: 'c', default: 'cloud.yaml' } } });
const logger = pino({ name: 'qingliu-cloud', level: process.env.QINGLIU_LOG_LEVEL ?? 'info', redact: ['password', '*.password', 'privateKey'] });

async function main(): Promise<void> {
  const config = await loadCloudConfig(values.config);
  const registry = await DeviceRegistry.load(config.registryFile);
  const closers: (() => Promise<void>)[] = [];

  let mqttUrl = config.mqtt.url;
  let broker: EmbeddedBroker | undefined;
  if (config.embeddedBroker) {
    broker = await createEmbeddedBroker({
      host: config.embeddedBroker.host,
      port: config.embeddedBroker.port,
      accounts: config.embeddedBroker.accounts,
      ...(config.embeddedBroker.persistenceDir ? { persistenceDir: config.embeddedBroker.persistenceDir } : {}),
      registry,
      logger: logger.child({ stage: 'broker' }),
    });
    const started = broker;
    closers.push(() => started.close());
    mqttUrl ??= started.url;
  }
  if (!mqttUrl) throw new Error('mqtt.url is required without an embedded broker');
  const password = config.mqtt.passwordEnv ? process.env[config.mqtt.passwordEnv] : config.mqtt.password;

  const store = await createInfluxStore(config.influx);
  const deadLetters = await createFileDeadLetterStore(config.deadLetterDir);
  closers.push(() => deadLetters.close());
  const journal = config.journalDir ? await IngestJournal.open(config.journalDir) : undefined;
  if (journal) closers.push(() => journal.close());
  let ledger: Ledger | undefined;
  if (config.settlement) {
    const key = process.env[config.settlement.oracleKeyEnv];
    if (!key) throw new Error(`settlement.oracleKeyEnv: environment variable ${config.settlement.oracleKeyEnv} is not set`);
    const evm = await createEvmLedger({
      rpcUrl: config.settlement.rpcUrl,
      privateKey: key,
      address: config.settlement.ledgerAddress,
      ...(config.settlement.chain ? { profile: config.settlement.chain } : {}),
      ...(config.settlement.ledgerFromBlock === undefined ? {} : { fromBlock: config.settlement.ledgerFromBlock }),
      logger: logger.child({ stage: 'chain' }),
    });
    ledger = await createDurableLedger(evm, { journalPath: config.settlement.journalPath, logger: logger.child({ stage: 'chain' }) });
    closers.push(() => ledger!.close());
  }
  const cloud = await startCloud({
    registry,
    store,
    dedupeIndex: createInfluxDedupeIndex(config.influx),
    encoderModule: INFLUX_ENCODER_MODULE,
    ...(ledger ? { ledger } : {}),
    deadLetters,
    ...(journal ? { journal, maxJournalBytes: config.maxJournalBytes } : {}),
    maxPayloadBytes: config.maxPayloadBytes,
    ...(config.verifyThreads === undefined ? {} : { verifyThreads: config.verifyThreads }),
    mqtt: {
      url: mqttUrl,
      clientId: config.mqtt.clientId,
      connections: config.mqtt.connections,
      aloneInGroup: config.mqtt.aloneInGroup,
      ...(config.mqtt.username === undefined ? {} : { username: config.mqtt.username }),
      ...(password === undefined ? {} : { password }),
      ...(config.mqtt.sharedGroup === undefined ? {} : { sharedGroup: config.mqtt.sharedGroup }),
      ...(config.mqtt.caFile === undefined ? {} : { ca: await readFile(config.mqtt.caFile) }),
    },
    settlementPeriodMs: settlementPeriodOf(config),
    progress: await createInfluxIngestProgress(config.influx),
    waitForIngesters: config.settlement?.waitForIngesters ?? [],
    pollutants: (config.settlement?.pollutants ?? []) as PollutantCode[],
    logger,
  });
  // For the API's outfall states and event stream: the agents' status reports, the ledger's events.
  const agentStatus = await createAgentStatusWatcher({
    mqtt: {
      url: mqttUrl,
      clientId: `${config.mqtt.clientId}-status`,
      ...(config.mqtt.username === undefined ? {} : { username: config.mqtt.username }),
      ...(password === undefined ? {} : { password }),
      ...(config.mqtt.caFile === undefined ? {} : { ca: await readFile(config.mqtt.caFile) }),
    },
    registry,
    logger: logger.child({ stage: 'agent-status' }),
  });
  closers.push(() => agentStatus.close());
  const ledgerEvents = config.settlement
    ? createLedgerEventFeed({
        rpcUrl: config.settlement.rpcUrl,
        address: config.settlement.ledgerAddress,
        fromBlock: config.settlement.ledgerFromBlock ?? 0,
        enterprises: () => registry.enterprises(),
        logger: logger.child({ stage: 'ledger-events' }),
      })
    : undefined;
  if (ledgerEvents) closers.push(() => ledgerEvents.close());
  const detection = config.detection ? await startDetection(config, { store, registry, mqttUrl, password }) : undefined;
  if (detection) closers.push(() => detection.close());
  // The enterprises' records (on-chain facts only) and, with the bureau's key, its verdicts and blacklistings.
  const alertRegistry = config.detection?.alertRegistryAddress;
  const records =
    config.settlement && alertRegistry
      ? await createEvmEnterpriseRecord({
          rpcUrl: config.settlement.rpcUrl,
          emissionLedger: config.settlement.ledgerAddress,
          alertRegistry,
          blacklist: config.api.blacklistAddress,
          pollutants: config.settlement.pollutants as PollutantCode[],
        })
      : undefined;
  if (records) closers.push(() => records.close());
  let bureau: BureauClient | undefined;
  if (config.api.bureauKeyEnv && config.settlement) {
    const key = process.env[config.api.bureauKeyEnv];
    if (!key) throw new Error(`api.bureauKeyEnv: environment variable ${config.api.bureauKeyEnv} is not set`);
    bureau = await createBureauClient({
      rpcUrl: config.settlement.rpcUrl,
      privateKey: key,
      address: config.settlement.ledgerAddress,
      ...(config.api.blacklistAddress ? { blacklist: config.api.blacklistAddress } : {}),
      ...(alertRegistry ? { alertRegistry } : {}),
    });
    closers.push(() => bureau!.close());
  }
  const http = await startApiServer({
    ...(detection ? { alerts: detection.alerts } : {}),
    verdicts: { alertLedger: detection?.alertLedger, bureau },
    records: { records, bureau },
    tokens: config.api.tokens,
    limits: config.api.limits,
    agentStatus,
    ...(ledgerEvents ? { ledgerEvents } : {}),
    ...(config.api.dashboards && config.settlement
      ? {
          dashboards: {
            rpcUrl: config.api.browserRpcUrl ?? config.settlement.rpcUrl,
            contract: config.settlement.ledgerAddress,
            fromBlock: config.settlement.ledgerFromBlock ?? 0,
            ...(config.api.blacklistAddress ? { blacklist: config.api.blacklistAddress } : {}),
            ...(config.detection?.alertRegistryAddress ? { alertRegistry: config.detection.alertRegistryAddress } : {}),
          },
        }
      : {}),
    host: config.http.host,
    port: config.http.port,
    store,
    registry,
    metrics: {
      ingest: () => cloud.ingester.stats(),
      batchesSettled: () => cloud.settler?.settled().length ?? 0,
      ...(broker ? { brokerRefusals: broker.refusalsByReason } : {}),
      statusRefused: agentStatus.refused,
    },
    status: () => cloud.status(),
    ...(ledger && config.settlement
      ? {
          proofs: createProofService({
            store,
            ledger,
            contract: config.settlement.ledgerAddress,
            txHashOf: (batch) => cloud.settler?.settled().find((b) => b.batch === batch)?.receipt.txHash,
          }),
        }
      : {}),
    logger,
  });
  logger.info({ mqtt: mqttUrl, influx: config.influx.url, http: http.url, settles: Boolean(ledger) }, 'cloud started');
  // One line on stdout for whoever started this process (tests, supervisors).
  console.log(JSON.stringify({ ready: true, http: http.url, mqtt: mqttUrl }));

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    await http.close();
    await cloud.close();
    for (const close of closers.reverse()) await close();
    logger.flush();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`qingliu-cloud: ${isQingliuError(error) ? error.message : error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
