/**
 * Detection in the pipeline against a real InfluxDB: minute readings of one
 * outfall (firmware-sim's model) with a dilution that has ended and a pH
 * excursion still going on. The chain side is an in-memory AlertLedger here
 * (a test double: the EVM adapter has its own tests against anvil); it can be
 * told to fail, to show a failed record is retried rather than lost.
 */
import { pino } from 'pino';
import { createOutfallModel, withEvents } from '@qingliu/firmware-sim';
import { generateDeviceKeyPair } from '@qingliu/protocol';
import type { PollutantCode } from '@qingliu/protocol';
import { emptyIngestStats } from '../ingest/ingest-stats.js';
import { startApiServer } from '../http/api-server.js';
import { hashApiToken } from '../http/roles.js';
import { startInfluxd } from '@qingliu/testkit';
import type { InfluxdServer } from '@qingliu/testkit';
import type { AlertLedger, AlertRecord, AlertVerdict } from '../ports/alert-ledger.js';
import type { ReadingStore, StoredReading } from '../ports/reading-store.js';
import { DeviceRegistry } from '../registry/device-registry.js';
import { createInfluxAlertStore } from '../store/influx-alert-store.js';
import { createInfluxStore } from '../store/influx-store.js';
import type { AlertStore } from '../ports/alert-store.js';
import { canonicalEvidence } from './alert-record.js';
import { createHash } from 'node:crypto';
import { startDetectionService } from './detection-service.js';
import type { PipelineAlert } from './alert-record.js';

const MIN = 60_000;
const NOW = Date.parse('2024-06-04T04:00:00Z'); // noon, local time
const CODES: readonly PollutantCode[] = ['w00000', 'w01018', 'w21003', 'w01001', 'w21011', 'w21001'];

class MemoryAlertLedger implements AlertLedger {
  readonly records = new Map<string, AlertRecord & { verdict: AlertVerdict }>();
  failNext = 0;
  calls = 0;
  async record(a: AlertRecord) {
    this.calls += 1;
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('chain unavailable');
    }
    const already = this.records.has(a.alertId);
    if (!already) this.records.set(a.alertId, { ...a, verdict: 'pending' });
    return { ...a, txHash: already ? undefined : `0x${this.records.size.toString(16).padStart(64, '0')}`, alreadyRecorded: already };
  }
  async get(id: string) {
    return this.records.get(id);
  }
  async confirmedCount() {
    return 0;
  }
  async close() {}
}

function readings(): StoredReading[] {
  const model = withEvents(createOutfallModel({ seed: 7 }), [
    { outfall: 'ent-a-dw001', kind: 'dilution', start: NOW - 90 * MIN, end: NOW - 50 * MIN, factor: 3 },
    { outfall: 'ent-a-dw001', kind: 'ph-excursion', start: NOW - 5 * MIN, end: NOW + 60 * MIN, value: 3.5 },
  ]);
  const out: StoredReading[] = [];
  let seq = 0;
  for (let ts = NOW - 3 * 1440 * MIN; ts < NOW; ts += MIN) {
    const v = model.valuesAt(ts);
    for (const pollutant of CODES) {
      out.push({ enterprise: 'ent-a', outfall: 'ent-a-dw001', device: 'ent-a-dw001-mon', pollutant, value: Number(v[pollutant].toFixed(3)), unit: pollutant === 'w00000' ? 'm3/h' : pollutant === 'w01001' ? 'pH' : 'mg/L', ts, seq: seq++, flag: 'N', batch: 0 });
    }
  }
  return out;
}

describe('detection service', () => {
  let influxd: InfluxdServer;
  let store: ReadingStore;
  let alerts: AlertStore;
  const registry = new DeviceRegistry([
    { device: 'ent-a-dw001-mon', enterprise: 'ent-a', outfall: 'ent-a-dw001', publicKey: generateDeviceKeyPair().publicKeyHex, sampleIntervalMs: MIN },
    { device: 'ent-b-dw001-mon', enterprise: 'ent-b', outfall: 'ent-b-dw001', publicKey: generateDeviceKeyPair().publicKeyHex, sampleIntervalMs: MIN },
  ]);
  const logger = pino({ level: 'silent' });

  beforeAll(async () => {
    influxd = await startInfluxd();
    store = await createInfluxStore({ url: influxd.url, database: 'qingliu' });
    alerts = await createInfluxAlertStore({ url: influxd.url, database: 'qingliu' });
    const all = readings();
    for (let i = 0; i < all.length; i += 5000) await store.write(all.slice(i, i + 5000));
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    await influxd?.stop();
  });

  const start = (ledger: AlertLedger, published: PipelineAlert[]) =>
    startDetectionService({
      store,
      alerts,
      registry,
      alertLedger: ledger,
      publish: async (a) => {
        published.push(a);
      },
      sampleMs: MIN,
      historyMs: 3 * 1440 * MIN,
      detectMs: 2 * 60 * MIN,
      closeAfterMs: 10 * MIN,
      intervalMs: 3_600_000,
      logger,
      now: () => NOW,
    });

  it('stores, publishes and records on chain each incident once; a failed record is retried, not lost', async () => {
    const ledger = new MemoryAlertLedger();
    ledger.failNext = 1;
    const published: PipelineAlert[] = [];
    const service = await start(ledger, published);
    const first = await service.runOnce();
    const dilution = first.find((a) => a.kind === 'dilution')!;
    const ph = first.find((a) => a.kind === 'ph-out-of-range')!;
    expect(dilution).toMatchObject({ enterprise: 'ent-a', outfall: 'ent-a-dw001', closed: true });
    expect(dilution.start).toBeGreaterThanOrEqual(NOW - 90 * MIN);
    expect(dilution.start).toBeLessThanOrEqual(NOW - 88 * MIN);
    expect(ph).toMatchObject({ closed: false });
    // The chain refused once: the closed dilution is not on chain yet, and counted.
    expect(ledger.records.size).toBe(0);
    expect(service.stats().failures.chain).toBe(1);

    const second = await service.runOnce();
    expect([...ledger.records.keys()]).toEqual([dilution.id]);
    expect(ledger.records.get(dilution.id)!.evidenceHash).toBe(`0x${createHash('sha256').update(canonicalEvidence(dilution.evidence)).digest('hex')}`);
    expect(second.map((a) => a.id)).toEqual([dilution.id]);

    // A third run finds nothing new: no new publish, no new record.
    expect(await service.runOnce()).toEqual([]);
    expect(ledger.calls).toBe(2);
    expect(published.filter((a) => a.id === dilution.id)).toHaveLength(1);

    const stored = await alerts.query({ fromMs: NOW - 3 * 3_600_000, toMs: NOW + 1, limit: 100 });
    const storedDilution = stored.filter((a) => a.kind === 'dilution');
    expect(storedDilution).toHaveLength(1);
    expect(storedDilution[0]).toMatchObject({ id: dilution.id, evidenceHash: dilution.evidenceHash, txHash: expect.stringMatching(/^0x/) });
    expect(storedDilution[0]!.evidence.note).toMatch(/dilution/);
    expect(stored.some((a) => a.kind === 'ph-out-of-range' && !a.closed)).toBe(true);
    await service.close();

    // A restarted service does not record or publish the same incident again.
    const again: PipelineAlert[] = [];
    const restarted = await start(ledger, again);
    await restarted.runOnce();
    expect(ledger.calls).toBe(2);
    expect(again.filter((a) => a.kind === 'dilution')).toEqual([]);
    await restarted.close();
  }, 120_000);

  it('serves the alerts on GET /api/v1/alerts: the bureau all, an enterprise its own only', async () => {
    const tokens = [
      { sha256: hashApiToken('bureau-token'), role: 'bureau' as const },
      { sha256: hashApiToken('ent-a-token'), role: 'enterprise' as const, enterprise: 'ent-a' },
      { sha256: hashApiToken('ent-b-token'), role: 'enterprise' as const, enterprise: 'ent-b' },
    ];
    const stats = emptyIngestStats();
    const api = await startApiServer({ store, registry, alerts, tokens, metrics: { ingest: () => stats, batchesSettled: () => 0 }, status: async () => ({}) });
    try {
      const get = (token: string | undefined, query: string) =>
        fetch(`${api.url}/api/v1/alerts?from=${NOW - 3 * 3_600_000}&to=${NOW + 1}${query}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
      const bureau = (await (await get('bureau-token', '')).json()) as { alerts: { kind: string; enterprise: string; evidenceHash: string; evidence: { readings: unknown[] } }[] };
      expect(bureau.alerts.map((a) => a.kind)).toEqual(expect.arrayContaining(['dilution', 'ph-out-of-range']));
      expect(bureau.alerts.every((a) => a.enterprise === 'ent-a' && /^0x[0-9a-f]{64}$/.test(a.evidenceHash) && a.evidence.readings.length > 0)).toBe(true);
      const own = (await (await get('ent-a-token', '')).json()) as { alerts: unknown[] };
      expect(own.alerts).toHaveLength(bureau.alerts.length);
      expect(((await (await get('ent-b-token', '')).json()) as { alerts: unknown[] }).alerts).toEqual([]);
      const refused = await get('ent-b-token', '&enterprise=ent-a');
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { error: string }).error).toMatch(/not its own/);
      expect((await get(undefined, '')).status).toBe(401);
    } finally {
      await api.close();
    }
  }, 60_000);
});

