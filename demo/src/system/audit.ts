/**
 * After each fault: wait (bounded) until the system has caught up on its own,
 * then hold it to its promises with the shared checks (../pipeline-checks.ts):
 * every reading produced is stored once, each batch is charged what its
 * stored readings weigh, once, and its anchored root is rebuilt from them.
 */
import { sleep } from '@qingliu/testkit';
import { CHARGED_POLLUTANTS } from '../pipeline.js';
import { addLoads, recomputeBatches, rootMismatches, tallyExactlyOnce } from '../pipeline-checks.js';
import type { LoadTotals, SeqRange } from '../pipeline-checks.js';
import type { ChainRecord, ChainView } from './chain-view.js';
import type { Cluster } from './cluster.js';
import { DATABASE } from './cluster.js';

export interface FaultRow {
  fault: string;
  /** Readings the agents made durable during this fault's window. */
  produced: number;
  stored: number;
  lost: number;
  /** Over the whole run so far: rows beyond the first of one (device, seq). */
  duplicated: number;
  /** Over the whole run so far: stored readings no device produced. */
  unexpected: number;
  /** Readings the agents refused (outbox full) in this window; counted by them, by design not stored. */
  refusedAtEdge: number;
  /** Batches anchored on chain during this window. */
  batches: number;
  expectedMg: bigint;
  chargedMg: bigint;
  /** Batches whose charge differs from the load recomputed from InfluxDB. */
  mischarged: number;
  rootMismatches: number;
  /** Batches with stored readings and no settlement, once settlement had time to catch up. */
  missingBatches: number;
  /** Batches settled (or a load deducted) more than once. */
  doubleCharged: number;
  /** From the end of the fault until every reading produced by then was stored; undefined: not within the bound. */
  storedAfterMs: number | undefined;
  /** ... and until every batch holding them was settled on chain. */
  settledAfterMs: number | undefined;
  crashes: string[];
  /** What went wrong in injecting the fault itself (e.g. an outbox that never filled). */
  problems: string[];
  notes: string[];
}

/** Whether a row breaks a promise. */
export function rowFails(row: FaultRow): boolean {
  return (
    row.lost > 0 ||
    row.duplicated > 0 ||
    row.unexpected > 0 ||
    row.mischarged > 0 ||
    row.expectedMg !== row.chargedMg ||
    row.rootMismatches > 0 ||
    row.missingBatches > 0 ||
    row.doubleCharged > 0 ||
    row.storedAfterMs === undefined ||
    row.settledAfterMs === undefined ||
    row.crashes.length > 0 ||
    row.problems.length > 0
  );
}

export class Auditor {
  readonly #cluster: Cluster;
  readonly #chain: ChainView;
  #since = -Infinity;
  readonly #audited = new Set<number>();
  #crashesSeen = 0;

  constructor(cluster: Cluster, chain: ChainView) {
    this.#cluster = cluster;
    this.#chain = chain;
  }

  /** Stored seqs of every device, straight from InfluxDB's HTTP API. */
  async storedSeqs(): Promise<Map<string, number[]>> {
    const out = new Map<string, number[]>();
    for (const { device } of this.#cluster.devices) {
      const rows = await this.#query(`SELECT seq FROM reading WHERE device = '${device}'`);
      out.set(device, rows.map((row) => Number(row[1])));
    }
    return out;
  }

  async #query(q: string): Promise<unknown[][]> {
    const url = new URL('/query', this.#cluster.influxd().url);
    url.searchParams.set('db', DATABASE);
    url.searchParams.set('epoch', 'ms');
    url.searchParams.set('q', q);
    const response = await fetch(url, { signal: AbortSignal.timeout(60_000) });
    // Past 10,000 rows InfluxDB 1.x marks a series `partial` yet returns every row (checked with 25,000).
    const body = (await response.json()) as { results: { series?: { values: unknown[][] }[]; error?: string }[] };
    const result = body.results[0]!;
    if (result.error) throw new Error(`InfluxDB: ${result.error}`);
    return (result.series ?? []).flatMap((s) => s.values);
  }

  async #storedCountUpTo(untilMs: number): Promise<number> {
    const rows = await this.#query(`SELECT COUNT(seq) FROM reading WHERE time <= ${Math.trunc(untilMs)}ms`);
    return rows.length === 0 ? 0 : Number(rows[0]![1]);
  }

  /** Produced ranges, and the unlogged tails of killed runs that the store holds (genuine, from the outbox). */
  #produced(stored: ReadonlyMap<string, readonly number[]>, until = Infinity, since = -Infinity): SeqRange[] {
    const ranges: SeqRange[] = this.#cluster.produced.ranges(until, since);
    if (since !== -Infinity) return ranges;
    for (const tail of this.#cluster.produced.unloggedTails()) {
      for (const seq of stored.get(tail.device) ?? []) {
        if (seq >= tail.first && seq <= tail.last) ranges.push({ device: tail.device, first: seq, last: seq });
      }
    }
    return ranges;
  }

  /**
   * Waits for the system to catch up on what was produced until now (each
   * wait bounded), then checks the window since the last checkpoint.
   */
  async checkpoint(fault: string, faultEndedAt: number): Promise<FaultRow> {
    const { options, store } = this.#cluster;
    const until = Date.now();
    const producedCount = this.#cluster.produced.ranges(until).reduce((n, r) => n + r.last - r.first + 1, 0);
    const deadline = faultEndedAt + options.recoveryTimeoutMs;
    const notes: string[] = [];

    // Caught up: InfluxDB holds at least as many readings sampled by then as the agents made durable.
    let storedAfterMs: number | undefined;
    while (Date.now() < deadline) {
      if ((await this.#storedCountUpTo(until).catch(() => 0)) >= producedCount) {
        storedAfterMs = Date.now() - faultEndedAt;
        break;
      }
      await sleep(250);
    }
    // Settled: every batch that holds readings stored by then is anchored on chain.
    let settledAfterMs: number | undefined;
    let chain: ChainRecord | undefined;
    let batchesInStore: number[] = [];
    if (storedAfterMs !== undefined) {
      const lastBatch = Math.floor(Date.now() / options.settlementPeriodMs);
      while (Date.now() < deadline + options.settlementPeriodMs * 2) {
        batchesInStore = (await store.batches().catch(() => [lastBatch])).filter((b) => b <= lastBatch);
        chain = await this.#chain.read().catch(() => undefined);
        if (chain && batchesInStore.every((b) => chain!.anchored.has(b))) {
          settledAfterMs = Date.now() - faultEndedAt;
          break;
        }
        await sleep(500);
      }
    }
    chain ??= await this.#chain.read();
    if (batchesInStore.length === 0) batchesInStore = await store.batches();

    const stored = await this.storedSeqs();
    const window = tallyExactlyOnce(this.#produced(stored, until, this.#since), stored);
    const whole = tallyExactlyOnce(this.#produced(stored, Infinity), stored);
    if (window.lost > 0) notes.push(`lost e.g. ${window.lostSample.join(', ')}`);

    const fresh = [...chain.anchored.keys()].filter((b) => !this.#audited.has(b)).sort((a, b) => a - b);
    const charges = await this.#charges(fresh, chain);
    for (const b of fresh) this.#audited.add(b);
    const missing = batchesInStore.filter((b) => !chain!.anchored.has(b));
    if (missing.length > 0) notes.push(`unsettled batches ${missing.join(', ')}`);
    notes.push(...charges.notes);

    const crashes = this.#cluster.crashes();
    const newCrashes = crashes.slice(this.#crashesSeen).map((c) => `${c.process} (code ${c.code}, signal ${c.signal})`);
    this.#crashesSeen = crashes.length;
    const row: FaultRow = {
      fault,
      produced: window.produced,
      stored: window.stored,
      lost: window.lost,
      duplicated: whole.duplicated,
      unexpected: whole.unexpected,
      refusedAtEdge: this.#cluster.produced.refused(until, this.#since),
      batches: fresh.length,
      ...charges.totals,
      missingBatches: missing.length,
      doubleCharged: [...chain.settlements.values()].filter((n) => n > 1).length + chain.doubleDeductions,
      storedAfterMs,
      settledAfterMs,
      crashes: newCrashes,
      problems: [],
      notes,
    };
    this.#since = until;
    return row;
  }

  /** Expected (recomputed from InfluxDB) against charged (on chain) for `batches`, and their roots. */
  async #charges(batches: readonly number[], chain: ChainRecord): Promise<{
    totals: Pick<FaultRow, 'expectedMg' | 'chargedMg' | 'mischarged' | 'rootMismatches'>;
    notes: string[];
  }> {
    const sampleInterval = new Map(this.#cluster.devices.map((d) => [d.device, d.sampleIntervalMs]));
    const recomputed = await recomputeBatches({
      store: this.#cluster.store,
      batches,
      sampleIntervalMs: (device) => sampleInterval.get(device) ?? 0,
      charged: CHARGED_POLLUTANTS,
    });
    const expected: LoadTotals = new Map();
    const charged: LoadTotals = new Map();
    const notes: string[] = [];
    let mischarged = 0;
    for (const batch of recomputed) {
      addLoads(expected, batch.loads);
      const onChain = chain.charged.get(batch.batch) ?? new Map<string, bigint>();
      addLoads(charged, onChain);
      const keys = new Set([...batch.loads.keys(), ...onChain.keys()]);
      const off = [...keys].filter((k) => (batch.loads.get(k) ?? 0n) !== (onChain.get(k) ?? 0n));
      if (off.length > 0) {
        mischarged += 1;
        if (mischarged <= 3) {
          notes.push(`batch ${batch.batch}: ${off.map((k) => `${k} expected ${batch.loads.get(k) ?? 0n} mg, charged ${onChain.get(k) ?? 0n} mg`).join('; ')}`);
        }
      }
    }
    const mismatches = rootMismatches(recomputed, chain.anchored);
    for (const m of mismatches.slice(0, 3)) notes.push(`batch ${m.batch}: ${m.reason} differs (InfluxDB ${m.expected}, chain ${m.anchored})`);
    const sum = (m: LoadTotals): bigint => [...m.values()].reduce((a, b) => a + b, 0n);
    return {
      totals: { expectedMg: sum(expected), chargedMg: sum(charged), mischarged, rootMismatches: mismatches.length },
      notes,
    };
  }

  /**
   * The whole run once more, every batch re-read (a late write into a settled
   * batch shows up here), and each balance against allocation minus charges.
   */
  async final(): Promise<FaultRow> {
    this.#audited.clear();
    const savedSince = this.#since;
    this.#since = -Infinity;
    const row = await this.checkpoint('whole run', Date.now());
    this.#since = savedSince;
    const { enterprises, options } = this.#cluster;
    const chain = await this.#chain.read();
    const charged: LoadTotals = new Map();
    for (const loads of chain.charged.values()) addLoads(charged, loads);
    for (const enterprise of enterprises) {
      for (const pollutant of CHARGED_POLLUTANTS) {
        const balance = await this.#chain.balanceOf(enterprise, pollutant);
        const expected = options.allocationMilligrams - (charged.get(`${enterprise}/${pollutant}`) ?? 0n);
        if (balance !== expected) {
          row.mischarged += 1;
          row.notes.push(`${enterprise}/${pollutant}: balance ${balance} mg, allocation minus charges ${expected} mg`);
        }
      }
    }
    return row;
  }
}
