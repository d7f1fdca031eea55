import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';
import { DETECTOR_NAMES } from '@qingliu/analytics';
import { POLLUTANT_CODES, QingliuError, idSchema } from '@qingliu/protocol';
import { checkAccounts } from './broker/broker-accounts.js';
import { chainProfileSchema } from './chain/chain-profile.js';
import { permitLimitSchema } from './registry/permit-limits.js';

const apiTokenSchema = z
  .strictObject({
    /** Lowercase hex SHA-256 of the token; the token itself is never stored. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected the lowercase hex SHA-256 of the token'),
    role: z.enum(['bureau', 'enterprise']),
    /** Required for `enterprise`: the enterprise whose data the token reads. */
    enterprise: idSchema.optional(),
  })
  .refine((t) => t.role === 'bureau' || t.enterprise !== undefined, { message: 'an enterprise token names its enterprise', path: ['enterprise'] });

/** Defaults of the cloud's config; comments give the units. */
export const CLOUD_DEFAULTS = {
  /** Settlement period, milliseconds (one hour). */
  settlementPeriodMs: 3_600_000,
  /** InfluxDB request timeout, milliseconds. */
  influxTimeoutMs: 10_000,
  /** Largest MQTT payload parsed, bytes (1 MiB). */
  maxPayloadBytes: 1024 * 1024,
  /** HTTP API listen address and port (0: any free port). */
  httpHost: '127.0.0.1',
  httpPort: 8080,
} as const;

export const brokerAccountSchema = z.strictObject({
  username: z.string().min(1),
  /** From `hashPassword()`: `scrypt$<salt>$<hash>`. */
  passwordHash: z.string().startsWith('scrypt$'),
  role: z.enum(['edge', 'ingester', 'bureau']),
  enterprise: idSchema.optional(),
  /** For `edge`: the devices it may publish for (default: all of its enterprise's enrolled devices). */
  devices: z.array(idSchema).optional(),
  /** For `edge`: its agent id, the only MQTT client id it may connect with (default: the username). */
  agentId: idSchema.optional(),
  /** For `ingester` and `bureau`: it may connect as `<prefix>` or `<prefix>-...` only (default: the username). */
  clientIdPrefix: idSchema.optional(),
});

export const cloudConfigSchema = z.strictObject({
  /**
   * Which adapter stands behind each port (app/adapters.ts). `store: memory` and `chain: memory`
   * run one process without InfluxDB or a chain node (trials, tests); the broker is embedded when
   * `embeddedBroker` is given, external (mqtt.url) otherwise.
   */
  adapters: z
    .strictObject({
      store: z.enum(['influx', 'memory']).default('influx'),
      chain: z.enum(['evm', 'memory']).default('evm'),
    })
    .default({ store: 'influx', chain: 'evm' }),
  /** Run aedes in this process; leave out to use an external broker by `mqtt.url`. */
  embeddedBroker: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535),
      /** Each client id belongs to one account (broker/broker-accounts.ts): overlapping ones are refused here. */
      accounts: z
        .array(brokerAccountSchema)
        .min(1)
        .superRefine((accounts, ctx) => {
          try {
            checkAccounts(accounts);
          } catch (error) {
            ctx.addIssue({ code: 'custom', message: (error as Error).message });
          }
        }),
      /** LevelDB folder: sessions and QoS 1 messages in flight survive a broker restart. */
      persistenceDir: z.string().optional(),
    })
    .optional(),
  mqtt: z.strictObject({
    /** mqtt://, mqtts:// (TLS); with an embedded broker, its own URL is used when this is left out. */
    url: z.string().regex(/^mqtts?:\/\//, 'expected mqtt:// or mqtts://').optional(),
    username: z.string().optional(),
    /** Prefer `passwordEnv` (the name of an environment variable holding it). */
    password: z.string().optional(),
    passwordEnv: z.string().optional(),
    clientId: idSchema,
    /** Shared-subscription group: several ingesters split the messages (Mosquitto, EMQX). */
    sharedGroup: idSchema.optional(),
    /** Connections in this process sharing `sharedGroup`: overlaps one message's checks with another's write. */
    connections: z.number().int().min(1).max(64).default(1),
    /**
     * True when no other process subscribes in `sharedGroup` (only this one's `connections`): the
     * ingester then skips the store look-up for readings above the highest seq it stored of their
     * device. Leave false (the default) with several ingester processes: any of them may have stored them.
     */
    aloneInGroup: z.boolean().default(false),
    /** PEM file of the CA that signed the broker's certificate (mqtts://). */
    caFile: z.string().optional(),
  }),
  /** Required with `adapters.store: influx` (the default). */
  influx: z
    .strictObject({
      url: z.string().url(),
      database: z.string().min(1).default('qingliu'),
      timeoutMs: z.number().int().positive().default(CLOUD_DEFAULTS.influxTimeoutMs),
    })
    .optional(),
  /** Enrolment file: `{"devices": [{device, enterprise, outfall, publicKey, sampleIntervalMs}]}`. */
  registryFile: z.string(),
  deadLetterDir: z.string(),
  /** Write-ahead journal folder: messages are acknowledged once journaled; left out, once in InfluxDB. */
  journalDir: z.string().optional(),
  /** Stop acknowledging while this much waits in the journal, bytes (256 MiB). */
  maxJournalBytes: z.number().int().positive().default(256 * 1024 * 1024),
  maxPayloadBytes: z.number().int().positive().default(CLOUD_DEFAULTS.maxPayloadBytes),
  /**
   * Threads that check schemas and signatures and encode readings for InfluxDB (ingest/verify-pool.ts).
   * Left out: one per core but one, at most 4; 0 does it all on the ingester's own thread.
   */
  verifyThreads: z.number().int().min(0).max(64).optional(),
  /**
   * Settlement period, milliseconds (default one hour): each reading is assigned to the period
   * it arrives in. Every ingester of a deployment must use the same one, those that do not
   * settle too, or the readings they store land in batches the settler never closes.
   */
  settlementPeriodMs: z.number().int().positive().optional(),
  /** Leave out to ingest without settling (several ingesters, one settler). */
  settlement: z
    .strictObject({
      /** The same as the top-level `settlementPeriodMs` (either may be given; if both, they must agree). */
      periodMs: z.number().int().positive().optional(),
      pollutants: z.array(z.enum(POLLUTANT_CODES)).min(1),
      /** Required on an evm chain (adapters.chain, the default). */
      rpcUrl: z.string().url().optional(),
      /** Name of the environment variable holding the oracle's private key. */
      oracleKeyEnv: z.string().optional(),
      ledgerAddress: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 20-byte hex address').optional(),
      /** The chain to expect (chain id, checked at connect) and how to price transactions (chain/chain-profile.ts). */
      chain: chainProfileSchema.optional(),
      /** The block the ledger was deployed in: event look-ups (anchored batches) start there. */
      ledgerFromBlock: z.number().int().min(0).optional(),
      /** Journal of settlements not yet confirmed on chain (JSON lines): an outage delays them, never drops one. */
      journalPath: z.string(),
      /**
       * The other ingesters on the shared subscription (their mqtt.clientId): a batch settles only
       * once each has reported every reading of it stored (ports/ingest-progress.ts).
       */
      waitForIngesters: z.array(z.string().min(1)).default([]),
    })
    .optional(),
  http: z
    .strictObject({
      host: z.string().default(CLOUD_DEFAULTS.httpHost),
      port: z.number().int().min(0).max(65535).default(CLOUD_DEFAULTS.httpPort),
    })
    .default({ host: CLOUD_DEFAULTS.httpHost, port: CLOUD_DEFAULTS.httpPort }),
  /** Who may read what over HTTP (http/roles.ts), and the limits the dashboards draw; without tokens every caller is the public. */
  api: z
    .strictObject({
      /** Bearer tokens, by their SHA-256 only (`printf %s "$TOKEN" | sha256sum`). */
      tokens: z.array(apiTokenSchema).default([]),
      /** Permitted concentration limits (registry/permit-limits.ts): drawn on the charts; breaking one puts an outfall in alarm. */
      limits: z.array(permitLimitSchema).default([]),
      /** Serve the dashboards under /dashboard/ (needs `settlement`: the chain the pages read). */
      dashboards: z.boolean().default(false),
      /** The chain's JSON-RPC URL as browsers reach it (default: settlement.rpcUrl); the node must allow CORS. */
      browserRpcUrl: z.string().url().optional(),
      /** Address of the Blacklist contract, for the dashboards' blacklist panels. */
      blacklistAddress: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 20-byte hex address').optional(),
      /**
       * Environment variable holding the bureau's key, when this process sends the bureau's verdicts on
       * alerts and its blacklistings from the dashboards (POST /api/v1/alerts/:id/verdict, .../blacklist).
       * Without it those routes answer 501 and the bureau acts with its own tools.
       */
      bureauKeyEnv: z.string().optional(),
      /** How often the event stream (GET /api/v1/events) asks the chain node for new events, ms. */
      eventPollMs: z.number().int().positive().default(500),
    })
    .default({ tokens: [], limits: [], dashboards: false, eventPollMs: 500 }),
  /**
   * Anomaly detection over the stored readings (detection/detection-service.ts): alerts stored
   * in InfluxDB, served on GET /api/v1/alerts, published on MQTT to the bureau, and their evidence
   * hashes recorded in the AlertRegistry contract when `alertRegistryAddress` is given.
   */
  detection: z
    .strictObject({
      /** Detector names (analytics/src/detectors/ensemble-detector.ts); default: the robust rules. */
      detectors: z.array(z.enum(DETECTOR_NAMES)).min(1).optional(),
      /** One sample = the store's mean over this window, ms (60,000: HJ 212 minute data). */
      sampleMs: z.number().int().positive().default(60_000),
      /** History the detectors fit on each run, ms (two weeks: the time-of-day profile needs days). */
      historyMs: z.number().int().positive().default(14 * 86_400_000),
      /** The recent part scored each run, ms. */
      detectMs: z.number().int().positive().default(3_600_000),
      /** An alert with nothing flagged for this long is closed and goes on chain, ms. */
      closeAfterMs: z.number().int().positive().default(10 * 60_000),
      intervalMs: z.number().int().positive().default(60_000),
      /** AlertRegistry contract (needs `settlement` for the chain), and the env variable with its oracle key. */
      alertRegistryAddress: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 20-byte hex address').optional(),
      alertOracleKeyEnv: z.string().default('QINGLIU_ALERT_ORACLE_KEY'),
      /** Publish alerts on MQTT (qingliu/v1/bureau/alerts) with this process's broker account. */
      publish: z.boolean().default(true),
    })
    .optional(),
});

export type CloudConfig = z.output<typeof cloudConfigSchema>;

export function parseCloudConfig(input: unknown, source = 'cloud config'): CloudConfig {
  const result = cloudConfigSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new QingliuError('CONFIG_INVALID', `invalid ${source}: ${lines[0]}`, { details: lines.join('\n') });
  }
  const { settlementPeriodMs, settlement, adapters, influx } = result.data;
  if (adapters.store === 'influx' && !influx) throw new QingliuError('CONFIG_INVALID', `invalid ${source}: influx: required with adapters.store influx`);
  if (settlement && adapters.chain === 'evm') {
    for (const field of ['rpcUrl', 'oracleKeyEnv', 'ledgerAddress'] as const) {
      if (settlement[field] === undefined) throw new QingliuError('CONFIG_INVALID', `invalid ${source}: settlement.${field}: required with adapters.chain evm`);
    }
  }
  if (settlementPeriodMs !== undefined && settlement?.periodMs !== undefined && settlementPeriodMs !== settlement.periodMs) {
    throw new QingliuError('CONFIG_INVALID', `invalid ${source}: settlementPeriodMs: ${settlementPeriodMs} differs from settlement.periodMs ${settlement.periodMs}`);
  }
  return result.data;
}

/** The settlement block on an EVM chain, with what the chain needs (checked at parse); undefined otherwise. */
export function evmSettlementOf(config: CloudConfig): (NonNullable<CloudConfig['settlement']> & { rpcUrl: string; oracleKeyEnv: string; ledgerAddress: string }) | undefined {
  const { settlement } = config;
  if (!settlement || config.adapters.chain !== 'evm' || !settlement.rpcUrl || !settlement.oracleKeyEnv || !settlement.ledgerAddress) return undefined;
  return { ...settlement, rpcUrl: settlement.rpcUrl, oracleKeyEnv: settlement.oracleKeyEnv, ledgerAddress: settlement.ledgerAddress };
}

/** The settlement period every ingester assigns batches by, milliseconds. */
export function settlementPeriodOf(config: Pick<CloudConfig, 'settlementPeriodMs' | 'settlement'>): number {
  return config.settlementPeriodMs ?? config.settlement?.periodMs ?? CLOUD_DEFAULTS.settlementPeriodMs;
}

export async function loadCloudConfig(path: string): Promise<CloudConfig> {
  let input: unknown;
  try {
    input = parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new QingliuError('CONFIG_INVALID', `cannot read ${path}`, { cause, details: String(cause) });
  }
  return parseCloudConfig(input, path);
}
