import type { Logger } from 'pino';
import type { PollutantCode } from '@qingliu/protocol';
import { createIngester } from './ingest/ingester.js';
import type { Ingester, IngesterParameters } from './ingest/ingester.js';
import type { DeadLetterStore } from './ports/dead-letter-store.js';
import type { IngestJournal } from './ingest/ingest-journal.js';
import type { IngestStats } from './ingest/ingest-stats.js';
import type { Ledger } from './ports/ledger.js';
import type { ReadingStore } from './ports/reading-store.js';
import type { DeviceRegistry } from './registry/device-registry.js';
import { createSettler, findUnsettledBatches } from './settlement/settler.js';
import type { Settler } from './settlement/settler.js';

export interface CloudParameters {
  registry: DeviceRegistry;
  store: ReadingStore;
  /** Leave out to ingest without settling (the settler runs in one process only). */
  ledger?: Ledger;
  deadLetters?: DeadLetterStore;
  journal?: IngestJournal;
  maxJournalBytes?: number;
  maxPayloadBytes?: number;
  mqtt: IngesterParameters['mqtt'];
  /** Settlement period, milliseconds (seconds in the demo, hours or a day in service). */
  settlementPeriodMs: number;
  /** Pollutants under permit: charged at settlement, and reported by `status()`. */
  pollutants: readonly PollutantCode[];
  logger: Logger;
}

export interface CloudStatus {
  ingest: IngestStats;
  batchesSettled: number;
  lastRoot: string | undefined;
  /** enterprise -> pollutant -> milligrams left (negative: debt). */
  balances: Record<string, Partial<Record<PollutantCode, bigint>>>;
}

export interface Cloud {
  ingester: Ingester;
  /** Undefined when this process does not settle. */
  settler: Settler | undefined;
  status(): Promise<CloudStatus>;
  /**
   * Stops taking messages; then, unless told not to, waits for the open
   * settlement period to end and settles it, so every stored reading is charged.
   */
  close(options?: { settleOpenBatch?: boolean }): Promise<void>;
}

/** Wires the cloud pipeline from its ports: MQTT -> verify -> store -> settle on the ledger. */
export async function startCloud(params: CloudParameters): Promise<Cloud> {
  const { registry, store, ledger, logger } = params;
  const ingester = await createIngester({
    mqtt: params.mqtt,
    registry,
    store,
    ...(params.deadLetters ? { deadLetters: params.deadLetters } : {}),
    ...(params.maxPayloadBytes ? { maxPayloadBytes: params.maxPayloadBytes } : {}),
    ...(params.journal ? { journal: params.journal } : {}),
    ...(params.maxJournalBytes ? { maxJournalBytes: params.maxJournalBytes } : {}),
    settlementPeriodMs: params.settlementPeriodMs,
    logger: logger.child({ stage: 'ingest' }),
  });
  let settler: Settler | undefined;
  if (ledger) {
    const firstBatch = ingester.currentBatch();
    const backlog = await findUnsettledBatches(store, ledger, firstBatch);
    if (backlog.length > 0) logger.info({ backlog }, 'settling batches left open by an earlier run');
    settler = createSettler({
      store,
      ledger,
      registry,
      logger: logger.child({ stage: 'settle' }),
      backlog,
      firstBatch,
      currentBatch: ingester.currentBatch,
      writesSettled: ingester.writesSettled,
      chargedPollutants: params.pollutants,
      tickMs: Math.min(1000, Math.max(100, Math.floor(params.settlementPeriodMs / 4))),
    });
  }

  return {
    ingester,
    settler,
    async status() {
      const balances: CloudStatus['balances'] = {};
      for (const enterprise of ledger ? registry.enterprises() : []) {
        const row: Partial<Record<PollutantCode, bigint>> = {};
        for (const pollutant of params.pollutants) row[pollutant] = await ledger!.balanceOf(enterprise, pollutant);
        balances[enterprise] = row;
      }
      const settled = settler?.settled() ?? [];
      return {
        ingest: ingester.stats(),
        batchesSettled: settled.length,
        lastRoot: settled.at(-1)?.root,
        balances,
      };
    },
    async close(options = {}) {
      await ingester.close();
      await params.deadLetters?.flush();
      if (settler && (options.settleOpenBatch ?? true)) {
        const open = ingester.currentBatch();
        const endsInMs = (open + 1) * params.settlementPeriodMs - Date.now();
        if (endsInMs > 0) await new Promise((resolve) => setTimeout(resolve, endsInMs + 1));
        await settler.settleDue();
      }
      await settler?.close();
    },
  };
}
