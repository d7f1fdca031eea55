import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { PollutantCode } from '@qingliu/protocol';
import type { EmbeddedBroker } from '../broker/embedded-broker.js';
import { createBureauClient } from '../chain/bureau-client.js';
import type { BureauClient } from '../chain/bureau-client.js';
import { createEvmEnterpriseRecord } from '../chain/evm-enterprise-record.js';
import { createLedgerEventFeed } from '../chain/ledger-events.js';
import { startCloud } from '../cloud.js';
import type { Cloud } from '../cloud.js';
import type { CloudConfig } from '../config.js';
import { evmSettlementOf, settlementPeriodOf } from '../config.js';
import { createFileDeadLetterStore } from '../dead-letter/file-dead-letter-store.js';
import type { PipelineAlert } from '../detection/alert-record.js';
import { startApiServer } from '../http/api-server.js';
import type { ApiServer } from '../http/api-server.js';
import { createAgentStatusWatcher } from '../ingest/agent-status-watcher.js';
import type { AgentStatusWatcher } from '../ingest/agent-status-watcher.js';
import { IngestJournal } from '../ingest/ingest-journal.js';
import type { LedgerEventFeed } from '../ports/ledger-events.js';
import type { Ledger } from '../ports/ledger.js';
import type { ReadingStore } from '../ports/reading-store.js';
import { createProofService } from '../proofs/proof-service.js';
import { DeviceRegistry } from '../registry/device-registry.js';
import { openEmbeddedBroker, openLedger, openStoreAdapters, required } from './adapters.js';
import type { StoreAdapters } from './adapters.js';
import { startDetection } from './detection.js';
import type { DetectionWiring } from './detection.js';

export interface CloudAppOverrides {
  logger: Logger;
  /** Secrets by the environment variable names the config gives (`process.env` in the service). */
  secret?: (envName: string) => string | undefined;
  /** The enrolment; default: `config.registryFile`, loaded. */
  registry?: DeviceRegistry;
  /** Store adapters made by the caller (the table's own otherwise). */
  stores?: StoreAdapters;
  /** Called with each alert the detection finds (the demo prints them). */
  onAlert?: (alert: PipelineAlert) => void;
}

/** A running cloud: every part the config asked for, with its adapters, and one `close()`. */
export interface CloudApp {
  config: CloudConfig;
  registry: DeviceRegistry;
  /** With `embeddedBroker`: aedes in this process. */
  broker: EmbeddedBroker | undefined;
  mqttUrl: string;
  store: ReadingStore;
  /** The ledger this process settles on (behind its journal); undefined when it does not settle. */
  ledger: Ledger | undefined;
  cloud: Cloud;
  agentStatus: AgentStatusWatcher;
  ledgerEvents: LedgerEventFeed | undefined;
  detection: DetectionWiring | undefined;
  http: ApiServer;
  /** Stops taking messages, settles the open period (when this process settles), stops every part. */
  close(options?: { settleOpenBatch?: boolean }): Promise<void>;
}

/**
 * The cloud's one composition root: opens the adapters the config names (app/adapters.ts), wires
 * the pipeline, detection, the chain readers and the HTTP API, and resolves once the API listens.
 * `cloud/src/main.ts` runs it from a config file; the demo and the whole-system suite run it too.
 */
export async function startCloudApp(config: CloudConfig, overrides: CloudAppOverrides): Promise<CloudApp> {
  const { logger } = overrides;
  const secret = overrides.secret ?? ((name: string) => process.env[name]);
  const closers: (() => Promise<void>)[] = [];
  // Closed first, in this order, by close(); the rest (closers) after them, last opened first.
  let cloud: Cloud | undefined;
  let http: ApiServer | undefined;
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse()) await close().catch((error: unknown) => logger.error({ err: error }, 'stop failed'));
    closers.length = 0;
  };
  try {
    const registry = overrides.registry ?? (await DeviceRegistry.load(config.registryFile));
    const broker = await openEmbeddedBroker(config, registry, logger);
    if (broker) closers.push(() => broker.close());
    const mqttUrl = config.mqtt.url ?? broker?.url;
    if (!mqttUrl) throw new Error('mqtt.url is required without an embedded broker');
    const password = config.mqtt.passwordEnv ? secret(config.mqtt.passwordEnv) : config.mqtt.password;
    const ca = config.mqtt.caFile === undefined ? undefined : await readFile(config.mqtt.caFile);
    const mqttAccount = {
      ...(config.mqtt.username === undefined ? {} : { username: config.mqtt.username }),
      ...(password === undefined ? {} : { password }),
      ...(ca === undefined ? {} : { ca }),
    };

    const stores = overrides.stores ?? (await openStoreAdapters(config));
    const { store } = stores;
    closers.push(() => store.close());
    const deadLetters = await createFileDeadLetterStore(config.deadLetterDir);
    closers.push(() => deadLetters.close());
    const journal = config.journalDir ? await IngestJournal.open(config.journalDir) : undefined;
    if (journal) closers.push(() => journal.close());
    const ledger = await openLedger(config, secret, logger);
    if (ledger) closers.push(() => ledger.close());

    cloud = await startCloud({
      registry,
      store,
      dedupeIndex: stores.dedupeIndex,
      encoderModule: stores.encoderModule,
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
        ...mqttAccount,
        ...(config.mqtt.sharedGroup === undefined ? {} : { sharedGroup: config.mqtt.sharedGroup }),
      },
      settlementPeriodMs: settlementPeriodOf(config),
      ...(stores.progress ? { progress: stores.progress } : {}),
      waitForIngesters: config.settlement?.waitForIngesters ?? [],
      pollutants: (config.settlement?.pollutants ?? []) as PollutantCode[],
      logger,
    });
    const pipeline = cloud;

    // For the API's outfall states and event stream: the agents' status reports, the ledger's events.
    const agentStatus = await createAgentStatusWatcher({
      mqtt: { url: mqttUrl, clientId: `${config.mqtt.clientId}-status`, ...mqttAccount },
      registry,
      logger: logger.child({ stage: 'agent-status' }),
    });
    closers.push(() => agentStatus.close());
    // Chain readers and the bureau's key: only on an EVM chain.
    const chain = evmSettlementOf(config);
    const ledgerEvents = chain
      ? createLedgerEventFeed({
          rpcUrl: chain.rpcUrl,
          address: chain.ledgerAddress,
          fromBlock: chain.ledgerFromBlock ?? 0,
          enterprises: () => registry.enterprises(),
          pollMs: config.api.eventPollMs,
          logger: logger.child({ stage: 'ledger-events' }),
        })
      : undefined;
    if (ledgerEvents) closers.push(() => ledgerEvents.close());
    let detection: DetectionWiring | undefined;
    if (config.detection) {
      detection = await startDetection(config, { store, alerts: await stores.openAlertStore(), registry, mqttUrl, password, secret, onAlert: overrides.onAlert, logger });
      const started = detection;
      closers.push(() => started.close());
    }
    // The enterprises' records (on-chain facts only) and, with the bureau's key, its verdicts and blacklistings.
    const alertRegistry = config.detection?.alertRegistryAddress;
    const records =
      chain && alertRegistry
        ? await createEvmEnterpriseRecord({
            rpcUrl: chain.rpcUrl,
            emissionLedger: chain.ledgerAddress,
            alertRegistry,
            blacklist: config.api.blacklistAddress,
            pollutants: chain.pollutants as PollutantCode[],
          })
        : undefined;
    if (records) closers.push(() => records.close());
    let bureau: BureauClient | undefined;
    if (config.api.bureauKeyEnv && chain) {
      bureau = await createBureauClient({
        rpcUrl: chain.rpcUrl,
        privateKey: required(secret, config.api.bureauKeyEnv, 'api.bureauKeyEnv'),
        address: chain.ledgerAddress,
        ...(config.api.blacklistAddress ? { blacklist: config.api.blacklistAddress } : {}),
        ...(alertRegistry ? { alertRegistry } : {}),
      });
      const opened = bureau;
      closers.push(() => opened.close());
    }

    http = await startApiServer({
      ...(detection ? { alerts: detection.alerts } : {}),
      verdicts: { alertLedger: detection?.alertLedger, bureau },
      records: { records, bureau },
      tokens: config.api.tokens,
      limits: config.api.limits,
      agentStatus,
      ...(ledgerEvents ? { ledgerEvents } : {}),
      ...(config.api.dashboards && chain
        ? {
            dashboards: {
              rpcUrl: config.api.browserRpcUrl ?? chain.rpcUrl,
              contract: chain.ledgerAddress,
              fromBlock: chain.ledgerFromBlock ?? 0,
              ...(config.api.blacklistAddress ? { blacklist: config.api.blacklistAddress } : {}),
              ...(alertRegistry ? { alertRegistry } : {}),
            },
          }
        : {}),
      host: config.http.host,
      port: config.http.port,
      store,
      registry,
      metrics: {
        ingest: () => pipeline.ingester.stats(),
        batchesSettled: () => pipeline.settler?.settled().length ?? 0,
        ...(broker ? { brokerRefusals: broker.refusalsByReason } : {}),
        statusRefused: agentStatus.refused,
      },
      status: () => pipeline.status(),
      ...(ledger && chain
        ? {
            proofs: createProofService({
              store,
              ledger,
              contract: chain.ledgerAddress,
              txHashOf: (batch) => pipeline.settler?.settled().find((b) => b.batch === batch)?.receipt.txHash,
            }),
          }
        : {}),
      logger,
    });
    const api = http;

    let closed = false;
    return {
      config,
      registry,
      broker,
      mqttUrl,
      store,
      ledger,
      cloud: pipeline,
      agentStatus,
      ledgerEvents,
      detection,
      http: api,
      async close(options = {}) {
        if (closed) return;
        closed = true;
        // The API first, then the pipeline (settling its open period unless told not to), then the rest.
        await api.close();
        await pipeline.close(options);
        await closeAll();
      },
    };
  } catch (error) {
    await http?.close();
    await cloud?.close({ settleOpenBatch: false });
    await closeAll();
    throw error;
  }
}
