/**
 * GET /api/v1/readings?every=auto over a store that reads its rollups answers exactly what it
 * answered over the raw readings (real InfluxDB, continuous queries on).
 */
import { generateDeviceKeyPair } from '@qingliu/protocol';
import type { PollutantCode } from '@qingliu/protocol';
import { startInfluxd } from '@qingliu/testkit';
import type { InfluxdServer } from '@qingliu/testkit';
import { emptyIngestStats } from '../ingest/ingest-stats.js';
import type { StoredReading } from '../ports/reading-store.js';
import { DeviceRegistry } from '../registry/device-registry.js';
import { createInfluxStore } from '../store/influx-store.js';
import { startApiServer } from './api-server.js';
import type { ApiServer } from './api-server.js';
import { hashApiToken } from './roles.js';

const H = 3_600_000;
const DAY = 86_400_000;
const TOKEN = 'bureau-token-for-the-rollup-test';
const OUTFALLS = ['a', 'b'].map((x) => ({ device: `dev-${x}`, enterprise: `ent-${x}`, outfall: `out-${x}`, publicKey: generateDeviceKeyPair().publicKeyHex, sampleIntervalMs: 60_000 }));

/** A reading a minute of flow and COD per outfall in [from, to). */
function samples(from: number, to: number): StoredReading[] {
  const out: StoredReading[] = [];
  let seq = 0;
  for (let ts = from; ts < to; ts += 60_000) {
    for (const [i, o] of OUTFALLS.entries()) {
      const base = { enterprise: o.enterprise, outfall: o.outfall, device: o.device, ts, flag: 'N' as const, batch: 1 };
      out.push({ ...base, pollutant: 'w00000' as PollutantCode, unit: 'm3/h', value: 150 + 40 * Math.sin(ts / 7_000_000 + i), seq: seq++ });
      out.push({ ...base, pollutant: 'w01018' as PollutantCode, unit: 'mg/L', value: 45 + ((ts / 60_000) % 17) + i, seq: seq++ });
    }
  }
  return out;
}

describe('GET /api/v1/readings?every=auto from the rollups', () => {
  let influxd: InfluxdServer;
  let rolled: ApiServer;
  let raw: ApiServer;
  const now = Date.now();
  const from = Math.floor((now - 3 * DAY) / H) * H + 1_234_567;

  beforeAll(async () => {
    influxd = await startInfluxd();
    const store = await createInfluxStore({ url: influxd.url, database: 'qingliu' });
    const rawStore = await createInfluxStore({ url: influxd.url, database: 'qingliu', rollups: false });
    const history = samples(from, now - 4 * H);
    for (let i = 0; i < history.length; i += 5000) await store.write(history.slice(i, i + 5000));
    await store.write(samples(now - 120_000, now));
    await store.flushRollups();
    const start = (s: typeof store) =>
      startApiServer({
        store: s,
        registry: new DeviceRegistry(OUTFALLS),
        metrics: { ingest: () => emptyIngestStats(), batchesSettled: () => 0 },
        status: async () => ({}),
        tokens: [{ sha256: hashApiToken(TOKEN), role: 'bureau' }],
      });
    rolled = await start(store);
    raw = await start(rawStore);
  });

  afterAll(async () => {
    await rolled?.close();
    await raw?.close();
    await influxd?.stop();
  });

  const get = async (api: ApiServer, path: string): Promise<{ everyMs: number; windows: Record<string, number | string>[] }> => {
    const response = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
    return (await response.json()) as { everyMs: number; windows: Record<string, number | string>[] };
  };

  it.each([
    ['a chart of 1,000 points: 5 min windows', '&fields=mean&points=1000', 300_000],
    ['a chart of 100 points: 1 h windows', '&fields=mean&points=100', H],
    ['the bureau chart of 40 points: 2 h windows', '&fields=mean&points=40', 2 * H],
    ['all four aggregates at 80 points: 1 h windows', '&points=80', H],
  ])('answers %s as before, the open interval included', async (_name, extra, everyMs) => {
    const path = `/api/v1/readings?from=${from}&to=${now + 60_000}&every=auto&limit=100000${extra}`;
    const [a, b] = await Promise.all([get(rolled, path), get(raw, path)]);
    expect(a.everyMs).toBe(everyMs);
    expect(b.everyMs).toBe(everyMs);
    expect(a.windows.length).toBe(b.windows.length);
    // The newest reading is a minute old: its window is the last one.
    expect(a.windows.at(-1)!.ts).toBe(Math.floor((now - 60_000) / everyMs) * everyMs);
    // Same keys in the same order, same series and times; the means to floating tolerance.
    const shape = (w: Record<string, number | string>) => Object.entries(w).map(([k, v]) => (k === 'mean' ? k : `${k}=${v}`)).join(',');
    expect(a.windows.map(shape)).toEqual(b.windows.map(shape));
    expect(a.windows.filter((w, i) => Math.abs(Number(w.mean) - Number(b.windows[i]!.mean)) > 1e-9 * Math.abs(Number(w.mean)))).toEqual([]);
  });
});
