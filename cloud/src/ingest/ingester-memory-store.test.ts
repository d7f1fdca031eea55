/**
 * The ingester over the memory store's adapters (store/memory-*.ts), aedes in-process: the stages
 * take whatever store, dedupe index and encoder module they are handed, the verify threads
 * included (they load the memory store's encoder, not InfluxDB's).
 */
import { connectAsync } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { waitFor } from '@qingliu/testkit';
import type { EmbeddedBroker } from '../broker/embedded-broker.js';
import { createMemoryDedupeIndex } from '../store/memory-dedupe-index.js';
import { MEMORY_ENCODER_MODULE } from '../store/memory-encoder.js';
import { createMemoryStore } from '../store/memory-store.js';
import { createIngester } from './ingester.js';
import type { Ingester } from './ingester.js';
import { TOPIC_A, startSuiteAedes, suitePayload, suiteReadings, suiteRegistry } from './ingester.suite.js';

describe('ingester over the memory store', () => {
  const store = createMemoryStore();
  let broker: EmbeddedBroker;
  let ingester: Ingester;
  let edge: MqttClient;

  beforeAll(async () => {
    broker = await startSuiteAedes();
    ingester = await createIngester({
      mqtt: { url: broker.url, username: 'ingester', password: 'pw-i', clientId: 'ingester-memory' },
      registry: suiteRegistry,
      store,
      dedupeIndex: createMemoryDedupeIndex(store),
      encoderModule: MEMORY_ENCODER_MODULE,
      settlementPeriodMs: 1e12,
      verifyThreads: 1,
      logger: pino({ level: 'silent' }),
    });
    edge = await connectAsync(broker.url, { username: 'edge-a', password: 'pw-a', clientId: 'edge-a' });
  });
  afterAll(async () => {
    await edge?.endAsync(true);
    await ingester?.close();
    await broker?.close();
  });

  it('stores each reading once: a replay is refused, and of a message half stored only the new half is written', async () => {
    const readings = suiteReadings(20);
    await edge.publishAsync(TOPIC_A, suitePayload(readings.slice(0, 10)), { qos: 1 });
    await waitFor(() => ingester.stats().stored === 10, 10_000, 'the first message stored');
    await edge.publishAsync(TOPIC_A, suitePayload(readings.slice(0, 10)), { qos: 1 });
    await edge.publishAsync(TOPIC_A, suitePayload(readings.slice(5, 20)), { qos: 1 });
    await waitFor(() => ingester.stats().stored === 20, 10_000, 'the new half stored');
    expect(ingester.stats()).toMatchObject({ stored: 20, duplicates: 15, rejected: { DUPLICATE: 1 } });
    const batch = await store.readBatch(ingester.currentBatch());
    expect(batch.map((r) => r.seq).sort((a, b) => a - b)).toEqual(readings.map((r) => r.seq));
    expect(batch.every((r) => r.batch === ingester.currentBatch())).toBe(true);
  });
});
