/**
 * The adapter table: which adapter stands behind each port, as the config names it.
 *
 *   store:  influx (InfluxDB 1.x, clustered or not) | memory (one process, for trials and tests)
 *   chain:  evm (EmissionLedger over web3 JSON-RPC: anvil, Besu, FISCO BCOS) | memory
 *   broker: embedded (aedes in this process) | external (Mosquitto, EMQX: mqtt.url)
 *
 * The only place in the cloud that imports adapters; the pipeline, the services and the routes
 * see ports only.
 */
import type { Logger } from 'pino';
import { QingliuError } from '@qingliu/protocol';
import { createEmbeddedBroker } from '../broker/embedded-broker.js';
import type { EmbeddedBroker } from '../broker/embedded-broker.js';
import { createDurableLedger } from '../chain/durable-ledger.js';
import { createEvmLedger } from '../chain/evm-ledger.js';
import { createMemoryLedger } from '../chain/memory-ledger.js';
import type { CloudConfig } from '../config.js';
import { evmSettlementOf } from '../config.js';
import type { AlertStore } from '../ports/alert-store.js';
import type { DedupeIndex } from '../ports/dedupe-index.js';
import type { IngestProgress } from '../ports/ingest-progress.js';
import type { Ledger } from '../ports/ledger.js';
import type { ReadingStore } from '../ports/reading-store.js';
import type { DeviceRegistry } from '../registry/device-registry.js';
import { createInfluxAlertStore } from '../store/influx-alert-store.js';
import { createInfluxDedupeIndex } from '../store/influx-dedupe-index.js';
import { INFLUX_ENCODER_MODULE } from '../store/influx-encoder.js';
import { createInfluxIngestProgress } from '../store/influx-ingest-progress.js';
import { createInfluxStore } from '../store/influx-store.js';
import { createMemoryDedupeIndex } from '../store/memory-dedupe-index.js';
import { MEMORY_ENCODER_MODULE } from '../store/memory-encoder.js';
import { createMemoryStore } from '../store/memory-store.js';

/** The store side of the pipeline: the readings, what is held of them, and the write form the verify threads make. */
export interface StoreAdapters {
  store: ReadingStore;
  dedupeIndex: DedupeIndex;
  /** A module any thread can import that encodes readings in `store`'s write form (ports/reading-encoder.ts). */
  encoderModule: URL;
  /** Where ingesters report how far they have written (several ingesters, one settler); none in memory. */
  progress: IngestProgress | undefined;
  /** Detected alerts (detection); opened on first use. */
  openAlertStore(): Promise<AlertStore>;
}

export async function openStoreAdapters(config: CloudConfig): Promise<StoreAdapters> {
  if (config.adapters.store === 'memory') {
    const store = createMemoryStore();
    return {
      store,
      dedupeIndex: createMemoryDedupeIndex(store),
      encoderModule: MEMORY_ENCODER_MODULE,
      progress: undefined,
      openAlertStore: () => Promise.reject(new QingliuError('CONFIG_INVALID', 'adapters.store memory keeps no alerts: detection needs adapters.store influx')),
    };
  }
  const influx = influxOf(config);
  return {
    store: await createInfluxStore(influx),
    dedupeIndex: createInfluxDedupeIndex(influx),
    encoderModule: INFLUX_ENCODER_MODULE,
    progress: await createInfluxIngestProgress(influx),
    openAlertStore: () => createInfluxAlertStore(influx),
  };
}

function influxOf(config: CloudConfig): NonNullable<CloudConfig['influx']> {
  if (!config.influx) throw new QingliuError('CONFIG_INVALID', 'influx: required with adapters.store influx');
  return config.influx;
}

/** The ledger this process settles on, behind its journal (an outage delays a settlement, never drops one). */
export async function openLedger(config: CloudConfig, secret: (envName: string) => string | undefined, logger: Logger): Promise<Ledger | undefined> {
  const settlement = config.settlement;
  if (!settlement) return undefined;
  const evm = evmSettlementOf(config);
  const base = !evm
    ? createMemoryLedger()
    : await createEvmLedger({
        rpcUrl: evm.rpcUrl,
        privateKey: required(secret, evm.oracleKeyEnv, 'settlement.oracleKeyEnv'),
        address: evm.ledgerAddress,
        ...(evm.chain ? { profile: evm.chain } : {}),
        ...(evm.ledgerFromBlock === undefined ? {} : { fromBlock: evm.ledgerFromBlock }),
        logger: logger.child({ stage: 'chain' }),
      });
  return createDurableLedger(base, { journalPath: settlement.journalPath, logger: logger.child({ stage: 'chain' }) });
}

/** The embedded broker when the config has one (external brokers are reached by mqtt.url). */
export async function openEmbeddedBroker(config: CloudConfig, registry: DeviceRegistry, logger: Logger): Promise<EmbeddedBroker | undefined> {
  const embedded = config.embeddedBroker;
  if (!embedded) return undefined;
  return createEmbeddedBroker({
    host: embedded.host,
    port: embedded.port,
    accounts: embedded.accounts,
    ...(embedded.persistenceDir ? { persistenceDir: embedded.persistenceDir } : {}),
    registry,
    logger: logger.child({ stage: 'broker' }),
  });
}

/** A secret from the environment (or the caller's table), refused at start with the config field that names it. */
export function required(secret: (envName: string) => string | undefined, envName: string, field: string): string {
  const value = secret(envName);
  if (!value) throw new QingliuError('CONFIG_INVALID', `${field}: environment variable ${envName} is not set`);
  return value;
}
