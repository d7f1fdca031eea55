import { QingliuError, idSchema } from '@qingliu/protocol';
import type { ReadingMean, ReadingQuery, ReadingStore, ReadingWindow, StoredReading } from '../ports/reading-store.js';

/** A stored point: the reading as last written, and the batch it is sealed in, if any. */
interface Point {
  reading: StoredReading;
  sealed: number | undefined;
}

/** The memory store: the port, and what its dedupe index reads (memory-dedupe-index.ts). */
export interface MemoryReadingStore extends ReadingStore {
  /** Every stored reading of `device`, in no order. */
  readingsOf(device: string): StoredReading[];
  /** Every device with stored readings. */
  devices(): string[];
}

/** A series (device, enterprise, outfall, pollutant, channel) in the order InfluxDB lists series. */
const seriesKey = (r: StoredReading): string => `${r.device}\u0000${r.enterprise}\u0000${r.outfall}\u0000${r.pollutant}\u0000${r.channel ?? ''}`;
/** The batch a point belongs to: the one it is sealed in, else the one its last write named. */
const asRead = (p: Point): StoredReading => ({ ...p.reading, batch: p.sealed ?? p.reading.batch });
const byTime = (a: StoredReading, b: StoredReading): number => a.ts - b.ts || (seriesKey(a) < seriesKey(b) ? -1 : 1);

/**
 * Readings in memory, as the InfluxDB store keeps them (influx-store.ts): one point per series and
 * time, so a reading written twice is one point whose fields the last write set; a seal is one more
 * field of the point. Held to the same contract (reading-store.suite.ts); for tests and the demo.
 */
export function createMemoryStore(): MemoryReadingStore {
  const byDevice = new Map<string, Map<string, Point>>();
  const pointKey = (r: StoredReading): string => `${seriesKey(r)}\u0000${r.ts}`;

  const write = (readings: readonly StoredReading[]): Promise<void> => {
    for (const r of readings) {
      if (!Number.isFinite(r.value)) return Promise.reject(new TypeError(`reading ${r.device}/${r.seq}: value is not finite`));
    }
    for (const r of readings) {
      let points = byDevice.get(r.device);
      if (!points) byDevice.set(r.device, (points = new Map()));
      const key = pointKey(r);
      const { channel, ...fields } = r;
      points.set(key, { reading: { ...fields, ...(channel === undefined ? {} : { channel }) }, sealed: points.get(key)?.sealed });
    }
    return Promise.resolve();
  };

  const matching = (query: Omit<ReadingQuery, 'limit'>): StoredReading[] => {
    for (const tag of ['enterprise', 'outfall', 'device', 'pollutant'] as const) {
      const value = query[tag];
      if (value !== undefined && !idSchema.safeParse(value).success) throw new QingliuError('SCHEMA_INVALID', `bad ${tag}: ${value}`);
    }
    const out: StoredReading[] = [];
    const devices = query.device === undefined ? [...byDevice.values()] : [byDevice.get(query.device) ?? new Map<string, Point>()];
    for (const points of devices) {
      for (const point of points.values()) {
        const r = point.reading;
        if (r.ts < query.fromMs || r.ts >= query.toMs) continue;
        if ((query.enterprise !== undefined && r.enterprise !== query.enterprise) || (query.outfall !== undefined && r.outfall !== query.outfall)) continue;
        if (query.pollutant !== undefined && r.pollutant !== query.pollutant) continue;
        out.push(asRead(point));
      }
    }
    return out;
  };

  /** Windows of `everyMs` per series (aligned on the epoch, as InfluxDB's GROUP BY time), series in InfluxDB's order, at most `limit` each. */
  const windows = (query: ReadingQuery & { everyMs: number }): ReadingWindow[] => {
    const bySeries = new Map<string, Map<number, ReadingWindow & { sum: number }>>();
    for (const r of matching(query).sort(byTime)) {
      const key = seriesKey(r);
      let series = bySeries.get(key);
      if (!series) bySeries.set(key, (series = new Map()));
      const ts = Math.floor(r.ts / query.everyMs) * query.everyMs;
      const w = series.get(ts);
      if (w) {
        w.sum += r.value;
        w.count += 1;
        w.min = Math.min(w.min, r.value);
        w.max = Math.max(w.max, r.value);
      } else {
        const instance = r.channel === undefined ? {} : { channel: r.channel };
        series.set(ts, { ts, enterprise: r.enterprise, outfall: r.outfall, device: r.device, pollutant: r.pollutant, ...instance, mean: 0, sum: r.value, min: r.value, max: r.value, count: 1 });
      }
    }
    const limit = Math.max(0, Math.trunc(query.limit));
    return [...bySeries.keys()].sort().flatMap((key) =>
      [...bySeries.get(key)!.values()].slice(0, limit).map(({ sum, ...w }) => ({ ...w, mean: sum / w.count })),
    );
  };

  return {
    write,
    async writeEncoded(parts) {
      for (const part of parts) await write(JSON.parse(part.text) as StoredReading[]);
    },
    readBatch(batch) {
      const out: StoredReading[] = [];
      for (const points of byDevice.values()) {
        for (const point of points.values()) if ((point.sealed ?? point.reading.batch) === batch) out.push(asRead(point));
      }
      return Promise.resolve(out.sort(byTime));
    },
    sealBatch(batch, readings) {
      for (const r of readings) {
        const point = byDevice.get(r.device)?.get(pointKey(r));
        if (point) point.sealed = batch;
      }
      return Promise.resolve();
    },
    batches() {
      const seen = new Set<number>();
      for (const points of byDevice.values()) {
        for (const point of points.values()) {
          seen.add(point.reading.batch);
          if (point.sealed !== undefined) seen.add(point.sealed);
        }
      }
      return Promise.resolve([...seen].sort((a, b) => a - b));
    },
    queryReadings: (query) => Promise.resolve(matching(query).sort(byTime).slice(0, Math.max(0, Math.trunc(query.limit)))),
    queryWindows: (query) => Promise.resolve(windows(query)),
    queryMeans: (query) => Promise.resolve(windows(query).map(({ min: _min, max: _max, count: _count, ...mean }): ReadingMean => mean)),
    readingsOf: (device) => [...(byDevice.get(device)?.values() ?? [])].map(asRead),
    devices: () => [...byDevice.keys()],
    close: () => Promise.resolve(),
  };
}
