/**
 * Detection in the pipeline. Every `intervalMs`, for each enrolled outfall:
 * the store's per-window means over the last `historyMs` (minute data in
 * service: HJ 212's minute values), the detectors fitted on all but the last
 * `detectMs` and run on that last part; each alert is stored (the bureau's
 * timeline), published (MQTT, for the bureau's systems), and once it has
 * closed (nothing flagged for `closeAfterMs`) its evidence hash is recorded
 * on chain, where the bureau confirms or dismisses it.
 *
 * The same incident seen by a later run keeps its id (matched by outfall,
 * kind and overlap), so it is stored and recorded once. A failed store write
 * or chain record is logged, counted and retried on the next run; nothing is
 * dropped. On start, closed alerts the chain has not yet recorded are picked
 * up from the store.
 */
import type { Logger } from 'pino';
import type { Alert, OutfallSeries } from '@qingliu/analytics';
import { DEFAULT_DETECTORS, createDetector, sliceSeries } from '@qingliu/analytics';
import type { AlertLedger } from '../ports/alert-ledger.js';
import type { AlertStore, StoredAlert } from '../ports/alert-store.js';
import type { ReadingStore } from '../ports/reading-store.js';
import type { DeviceRegistry } from '../registry/device-registry.js';
import type { PipelineAlert } from './alert-record.js';
import { alertId, toPipelineAlert } from './alert-record.js';
import { readStoredDetectionSeries } from './stored-outfall-series.js';

export interface DetectionServiceParameters {
  store: ReadingStore;
  alerts: AlertStore;
  registry: DeviceRegistry;
  /** Leave out where this process records nothing on chain. */
  alertLedger?: AlertLedger | undefined;
  /** Sends an alert to the bureau (MQTT); a failure is logged and counted, the alert is still stored. */
  publish?: ((alert: PipelineAlert) => Promise<void>) | undefined;
  detectors?: readonly string[];
  /** Window of the store's means the detectors see as one sample, ms (60,000: minute data). */
  sampleMs: number;
  historyMs: number;
  detectMs: number;
  closeAfterMs: number;
  intervalMs: number;
  logger: Logger;
  now?: () => number;
}

export interface DetectionStats {
  runs: number;
  alerts: number;
  closed: number;
  recorded: number;
  /** Store writes, publishes and chain records that failed (each retried on the next run). */
  failures: { store: number; publish: number; chain: number; detect: number };
  lastRunMs: number | undefined;
}

export interface DetectionService {
  /** One pass over every outfall; resolves with the alerts new or changed in it. */
  runOnce(): Promise<PipelineAlert[]>;
  stats(): DetectionStats;
  close(): Promise<void>;
}

interface Outfall {
  enterprise: string;
  outfall: string;
}

const sameIncident = (a: Pick<Alert, 'outfall' | 'kind' | 'start' | 'end'>, b: Pick<Alert, 'outfall' | 'kind' | 'start' | 'end'>): boolean =>
  a.outfall === b.outfall && a.kind === b.kind && a.start <= b.end && b.start <= a.end;

export async function startDetectionService(params: DetectionServiceParameters): Promise<DetectionService> {
  const { store, alerts, logger } = params;
  const now = params.now ?? Date.now;
  const names = params.detectors ?? DEFAULT_DETECTORS;
  const known = new Map<string, StoredAlert>();
  const unstored = new Map<string, StoredAlert>();
  const stats: DetectionStats = { runs: 0, alerts: 0, closed: 0, recorded: 0, failures: { store: 0, publish: 0, chain: 0, detect: 0 }, lastRunMs: undefined };

  const outfalls = (): Outfall[] => {
    const seen = new Map<string, Outfall>();
    for (const d of params.registry.list()) if (d.outfall) seen.set(d.outfall, { enterprise: d.enterprise, outfall: d.outfall });
    return [...seen.values()];
  };

  // Closed alerts the chain has not recorded yet (an earlier run stopped first): pick them up.
  try {
    const t = now();
    for (const a of await alerts.query({ fromMs: t - params.historyMs, toMs: t + 1, limit: 100_000 })) known.set(a.id, a);
  } catch (error) {
    stats.failures.store += 1;
    logger.warn({ err: error }, 'could not read earlier alerts; unrecorded ones will wait for the next start');
  }

  /** The samples before `cut` (the detectors fit on them) and from it on (they detect on them). */
  function split(s: OutfallSeries, cut: number): [OutfallSeries, OutfallSeries] {
    const i = s.ts.findIndex((t) => t >= cut);
    const at = i < 0 ? s.ts.length : i;
    return [sliceSeries(s, 0, at), sliceSeries(s, at, s.ts.length)];
  }

  async function detectOutfall(o: Outfall, t: number): Promise<PipelineAlert[]> {
    const s = await readStoredDetectionSeries({ store, outfall: o.outfall, fromMs: t - params.historyMs, toMs: t, everyMs: params.sampleMs });
    const [train, test] = split(s, t - params.detectMs);
    if (test.ts.length === 0) return [];
    const detector = await createDetector(names);
    await detector.fit([train]);
    const out: PipelineAlert[] = [];
    for (const found of await detector.detect([test])) {
      let a = found;
      // A later run may see the incident begin a sample earlier or later: it is the same incident.
      const earlier = [...known.values()].find((k) => sameIncident(k, a));
      if (earlier?.closed) {
        // A closed alert is final (its evidence hash may be on chain): only what comes after it is new.
        if (a.end <= earlier.end) continue;
        a = { ...a, start: earlier.end + 1 };
      } else if (earlier) {
        // The same open incident: it keeps its id and start; the run that saw more of it describes it.
        a = a.end >= earlier.end ? { ...a, start: earlier.start, score: Math.max(earlier.score, a.score) } : { ...earlier };
      }
      const p = toPipelineAlert(a, o.enterprise, a.end < t - params.closeAfterMs);
      out.push(earlier && !earlier.closed ? { ...p, id: earlier.id } : { ...p, id: alertId(a) });
    }
    return out;
  }

  async function record(a: StoredAlert): Promise<StoredAlert> {
    if (!params.alertLedger || !a.closed || a.txHash) return a;
    try {
      const r = await params.alertLedger.record({ alertId: a.id, evidenceHash: a.evidenceHash, enterprise: a.enterprise, outfall: a.outfall, kind: a.kind, start: a.start, end: a.end });
      stats.recorded += 1;
      logger.info({ alert: a.id, outfall: a.outfall, kind: a.kind, tx: r.txHash, alreadyRecorded: r.alreadyRecorded }, 'alert evidence recorded on chain');
      return { ...a, txHash: r.txHash ?? 'recorded' };
    } catch (error) {
      stats.failures.chain += 1;
      logger.warn({ err: error, alert: a.id }, 'recording the alert on chain failed; retrying on the next run');
      return a;
    }
  }

  async function runOnce(): Promise<PipelineAlert[]> {
    const t = now();
    const changed: StoredAlert[] = [];
    for (const o of outfalls()) {
      let found: PipelineAlert[];
      try {
        found = await detectOutfall(o, t);
      } catch (error) {
        stats.failures.detect += 1;
        logger.warn({ err: error, outfall: o.outfall }, 'detection failed for this outfall; retrying on the next run');
        continue;
      }
      for (const a of found) {
        const before = known.get(a.id);
        if (before && before.end === a.end && before.closed === a.closed) continue;
        const next: StoredAlert = { ...a, ...(before?.txHash ? { txHash: before.txHash } : {}) };
        if (!before) stats.alerts += 1;
        if (next.closed && !before?.closed) stats.closed += 1;
        known.set(a.id, next);
        changed.push(next);
        if (params.publish && (!before || (next.closed && !before.closed))) {
          await params.publish(next).catch((error: unknown) => {
            stats.failures.publish += 1;
            logger.warn({ err: error, alert: a.id }, 'publishing the alert failed; it is stored and on the API');
          });
        }
        if (!before) logger.warn({ alert: a.id, enterprise: a.enterprise, outfall: a.outfall, kind: a.kind, start: new Date(a.start).toISOString(), score: Number(a.score.toFixed(2)), note: a.evidence.note }, 'anomaly detected');
      }
    }
    // Closed alerts not yet on chain, from this run or earlier ones.
    for (const a of known.values()) {
      if (!a.closed || a.txHash || !params.alertLedger) continue;
      const r = await record(a);
      if (r.txHash) {
        known.set(a.id, r);
        const i = changed.findIndex((c) => c.id === a.id);
        if (i >= 0) changed[i] = r;
        else changed.push(r);
      }
    }
    for (const a of changed) unstored.set(a.id, a);
    if (unstored.size > 0) {
      try {
        await alerts.write([...unstored.values()]);
        unstored.clear();
      } catch (error) {
        stats.failures.store += 1;
        logger.warn({ err: error, pending: unstored.size }, 'storing alerts failed; retrying on the next run');
      }
    }
    // Forget what left the history window and is settled everywhere.
    for (const [id, a] of known) if (a.end < t - params.historyMs && (a.txHash || !params.alertLedger) && !unstored.has(id)) known.delete(id);
    stats.runs += 1;
    stats.lastRunMs = t;
    return changed;
  }

  let running: Promise<unknown> = Promise.resolve();
  let closed = false;
  const timer = setInterval(() => {
    running = running.then(() => (closed ? undefined : runOnce())).catch((error: unknown) => logger.error({ err: error }, 'detection run failed'));
  }, params.intervalMs);
  timer.unref();

  return {
    runOnce: () => {
      const r = running.then(() => runOnce());
      running = r.catch(() => undefined);
      return r;
    },
    stats: () => structuredClone(stats),
    async close() {
      closed = true;
      clearInterval(timer);
      await running;
    },
  };
}
