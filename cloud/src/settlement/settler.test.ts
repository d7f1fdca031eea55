/**
 * Settlement of a device that carries more than the six codes, on real parts but the chain: batches
 * signed as the edge agent signs them, checked by the ingester's verifier, encoded and written as
 * the ingester writes them to a real InfluxDB (Debian's influxd), then settled. The ledger is a
 * recording stand-in for the chain port: what matters here is what it is asked to charge.
 */
import { pino } from 'pino';
import { BATCH_VERSION, buildReadingTree, generateDeviceKeyPair, readingsTopic, signBatch, verifyReadingProof } from '@qingliu/protocol';
import type { Reading } from '@qingliu/protocol';
import { startInfluxd } from '@qingliu/testkit';
import type { InfluxdServer } from '@qingliu/testkit';
import { verifyBatchMessage } from '../ingest/batch-verifier.js';
import type { Ledger, Settlement } from '../ports/ledger.js';
import { DeviceRegistry } from '../registry/device-registry.js';
import { encodeReadings } from '../store/influx-encoder.js';
import { createInfluxStore } from '../store/influx-store.js';
import type { InfluxReadingStore } from '../store/influx-store.js';
import { createSettler } from './settler.js';

const key = generateDeviceKeyPair();
const registry = new DeviceRegistry([{ device: 'dev-a', enterprise: 'ent-a', outfall: 'out-1', publicKey: key.publicKeyHex, sampleIntervalMs: 10_000, channels: ['cod-2'] }]);

/** A recording ledger: charges nothing, keeps what it was asked to settle. */
function recordingLedger(): Ledger & { settlements: Settlement[] } {
  const settlements: Settlement[] = [];
  return {
    settlements,
    async settle(settlement) {
      settlements.push(settlement);
      return { batchId: settlement.batchId, txHash: `0x${'ab'.repeat(32)}`, alreadySettled: false };
    },
    balanceOf: async () => 0n,
    anchoredBatch: async () => undefined,
    close: async () => undefined,
  };
}

describe('settling a device with a totalizer and a second COD analyzer', () => {
  let influxd: InfluxdServer;
  let store: InfluxReadingStore;
  beforeAll(async () => {
    influxd = await startInfluxd();
    store = await createInfluxStore({ url: influxd.url, database: 'qingliu', rollups: false });
  });
  afterAll(async () => {
    await store?.close();
    await influxd?.stop();
  });

  it('stores the two CODs as two series and charges only the primary one; the root covers every reading', async () => {
    const t0 = Date.UTC(2026, 0, 5, 2);
    const base = { enterprise: 'ent-a', outfall: 'out-1', device: 'dev-a', flag: 'N' as const };
    const readings: Reading[] = [];
    let seq = 100;
    for (let k = 0; k < 6; k++) {
      const ts = t0 + k * 10_000;
      // 360 m3/h for 10 s is 1 m3 a sample.
      readings.push({ ...base, ts, seq: seq++, pollutant: 'w00000', unit: 'm3/h', value: 360 });
      readings.push({ ...base, ts, seq: seq++, pollutant: 'w00001', unit: 'm3', value: 52_000 + k });
      readings.push({ ...base, ts, seq: seq++, pollutant: 'w01018', unit: 'mg/L', value: 50 });
      readings.push({ ...base, ts, seq: seq++, pollutant: 'w01018', channel: 'cod-2', unit: 'mg/L', value: 80 });
      readings.push({ ...base, ts, seq: seq++, pollutant: 'w21003', unit: 'mg/L', value: 2 });
    }
    // Two messages, as the agent publishes them, each checked and encoded as the ingester does.
    const encoded = [readings.slice(0, 15), readings.slice(15)].map((part) => {
      const batch = signBatch({ v: BATCH_VERSION, enterprise: 'ent-a', device: 'dev-a', readings: part }, key.privateKeyPem);
      const verified = verifyBatchMessage(readingsTopic('ent-a', 'dev-a'), Buffer.from(JSON.stringify(batch)), registry);
      return encodeReadings(verified.readings.map((r) => ({ ...r, batch: 7 })));
    });
    await store.writeEncoded(encoded);

    const stored = await store.readBatch(7);
    expect(stored).toHaveLength(readings.length);
    expect(stored.filter((r) => r.pollutant === 'w01018' && r.channel === undefined).map((r) => r.value)).toEqual([50, 50, 50, 50, 50, 50]);
    expect(stored.filter((r) => r.channel === 'cod-2').map((r) => r.value)).toEqual([80, 80, 80, 80, 80, 80]);

    const ledger = recordingLedger();
    const settler = createSettler({
      store,
      ledger,
      registry,
      logger: pino({ level: 'silent' }),
      firstBatch: 7,
      currentBatch: () => 8,
      writesSettled: async () => undefined,
      chargedPollutants: ['w01018', 'w21003'],
      tickMs: 3_600_000,
    });
    try {
      const [settled] = await settler.settleDue();
      // 6 samples x 1 m3: COD 50 mg/L -> 300 g (the second analyzer's 80 mg/L is not charged), NH3-N 2 mg/L -> 12 g.
      expect(ledger.settlements).toHaveLength(1);
      expect(ledger.settlements[0]!.loads).toEqual([
        { enterprise: 'ent-a', pollutant: 'w01018', milligrams: 300_000n },
        { enterprise: 'ent-a', pollutant: 'w21003', milligrams: 12_000n },
      ]);
      expect(ledger.settlements[0]!.readingCount).toBe(30);
      const tree = buildReadingTree(readings);
      expect(settled!.root).toBe(tree.root);
      const second = readings.find((r) => r.channel === 'cod-2')!;
      expect(verifyReadingProof(settled!.root, second, tree.proof(second)!)).toBe(true);
    } finally {
      await settler.close();
    }
  });
});
