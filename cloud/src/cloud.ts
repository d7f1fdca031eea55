import type { Logger } from 'pino';
import type { PollutantCode } from '@qingliu/protocol';
import { createIngester } from './ingest/ingester.js';
import type { Ingester, IngesterParameters } from './ingest/ingester.js';
import type { DeadLetterStore } from './ports/dead-letter-store.js';
import type { DedupeIndex } from './ports/dedupe-index.js';
import type { IngestJournal } from './ingest/ingest-journal.js';
import type { IngestStats } from './ingest/ingest-stats.js';
import type { Ledger } from './ports/ledger.js';
import type { ReadingStore } from './ports/reading-store.js';
import type { DeviceRegistry } from './registry/device-registry.js';
import { createSettler, findUnsettledBatches } from './settlement/settler.js';
import type { Settler } from './settlement/settler.js';
import type { IngestProgress } from './ports/ingest-progress.js';

export interface CloudParameters {
  registry: DeviceRegistry;
  store: ReadingStore;
  /** What `store` holds, by (device, seq), for the ingester's dedupe (ports/dedupe-index.ts). */
  dedupeIndex: DedupeIndex;
  /** `store`'s encoder module (ports/reading-encoder.ts), handed to the ingester's verify threads. */
  encoderModule: URL;
  /** Leave out to ingest without settling (the settler runs in one process only). */
  ledger?: Ledger;
  deadLetters?: DeadLetterStore;
  journal?: IngestJournal;
  maxJournalBytes?: number;
  maxPayloadBytes?: number;
  /** Verify threads (ingester.ts); left out, the ingester's default. */
  verifyThreads?: number;
  mqtt: IngesterParameters['mqtt'];
  /** Settlement period, milliseconds (seconds in the demo, hours or a day in service). */
  settlementPeriodMs: number;
  /** Pollutants under permit: charged at settlement, and reported by `status()`. */
  pollutants: readonly PollutantCode[];
  /**
   * Where every ingester reports how far it has written (ports/ingest-progress.ts). Given, this
   * process reports under its MQTT client id; and, if it settles, it waits for `waitForIngesters`.
   */
  progress?: IngestProgress | undefined;
  /** The other ingesters (their MQTT client ids) whose writes a batch waits for before it settles. */
  waitForIngesters?: readonly string[];
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
    dedupeIndex: params.dedupeIndex,
    encoderModule: params.encoderModule,
    ...(params.deadLetters ? { deadLetters: params.deadLetters } : {}),
    ...(params.maxPayloadBytes ? { maxPayloadBytes: params.maxPayloadBytes } : {}),
    ...(params.verifyThreads === undefined ? {} : { verifyThreads: params.verifyThreads }),
    ...(params.journal ? { journal: params.journal } : {}),
    ...(params.maxJournalBytes ? { maxJournalBytes: params.maxJournalBytes } : {}),
    settlementPeriodMs: params.settlementPeriodMs,
    logger: logger.child({ stage: 'ingest' }),
  });
  const tickMs = Math.min(1000, Math.max(100, Math.floor(params.settlementPeriodMs / 4)));
  const me = params.mqtt.clientId;
  const peers = params.waitForIngesters ?? [];
  let closing = false;
  let closed: Promise<void> | undefined;
  let peerDeadline = Number.POSITIVE_INFINITY;

  // Report this ingester's progress: when it moves, and every few seconds as a heartbeat.
  let reported = { batch: Number.NaN, at: 0 };
  let reportFailures = 0;
  const reportProgress = async (): Promise<void> => {
    if (!params.progress) return;
    const batch = ingester.writtenThrough();
    if (batch === reported.batch && Date.now() - reported.at < 5000) return;
    try {
      await params.progress.report(me, batch);
      reported = { batch, at: Date.now() };
    } catch (error) {
      reportFailures += 1;
      if (reportFailures % 20 === 1) logger.warn({ err: error, failures: reportFailures }, 'could not report ingest progress; retrying');
    }
  };
  let reporting: Promise<void> = Promise.resolve();
  const reporter = params.progress
    ? setInterval(() => {
        reporting = reporting.then(reportProgress);
      }, tickMs)
    : undefined;

  /** Waits until every peer ingester has written through `batch` (they hold some of its readings too). */
  async function peersWrote(batch: number): Promise<void> {
    if (!params.progress || peers.length === 0) return;
    let logged = false;
    for (;;) {
      try {
        const through = await params.progress.writtenThrough();
        const behind = peers.filter((p) => (through.get(p)?.batch ?? Number.NEGATIVE_INFINITY) < batch);
        if (behind.length === 0) return;
        if (!logged) {
          logged = true;
          logger.info({ batch, behind: behind.map((p) => ({ ingester: p, writtenThrough: through.get(p)?.batch ?? null })) }, 'batch waits for other ingesters to store their readings of it');
        }
      } catch (error) {
        if (!logged) logger.warn({ err: error, batch }, 'could not read the other ingesters\' progress; waiting');
        logged = true;
      }
      if (closing && Date.now() > peerDeadline) throw new Error(`stopping: batch ${batch} left for the next start (ingesters ${peers.join(', ')} had not written it through)`);
      await new Promise((resolve) => setTimeout(resolve, tickMs));
    }
  }

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
      writesSettled: async (batch) => {
        await ingester.writesSettled(batch);
        await peersWrote(batch);
      },
      chargedPollutants: params.pollutants,
      tickMs,
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
    close(options = {}) {
      // Once: a second call waits for the first (the demo quiesces, then stops everything).
      closed ??= (async () => {
        closing = true;
        peerDeadline = Date.now() + 15_000;
        await ingester.close();
        await params.deadLetters?.flush();
        if (settler && (options.settleOpenBatch ?? true)) {
          const open = ingester.currentBatch();
          const endsInMs = (open + 1) * params.settlementPeriodMs - Date.now();
          if (endsInMs > 0) await new Promise((resolve) => setTimeout(resolve, endsInMs + 1));
          await settler.settleDue();
        }
        await settler?.close();
        if (reporter) clearInterval(reporter);
        await reporting;
        await reportProgress();
      })();
      return closed;
    },
  };
}
