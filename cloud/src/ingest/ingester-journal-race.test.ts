/**
 * A copy of a batch that arrives while its journal entry is on the way into
 * the store: the journal writer stores and commits the entry while the
 * duplicate check asks the store. The check must still find the readings
 * (in the journal, asked first) and refuse the copy, not store it twice.
 * Real InfluxDB (Debian's influxd) and aedes in-process; the store is the
 * real one, wrapped only to hold its first write until the check is under way.
 */
import { connectAsync } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { startInfluxd, useTempDir, waitFor } from '@qingliu/testkit';
import type { InfluxdServer } from '@qingliu/testkit';
import type { EmbeddedBroker } from '../broker/embedded-broker.js';
import type { ReadingStore } from '../ports/reading-store.js';
import { createInfluxStore } from '../store/influx-store.js';
import { createInfluxDedupeIndex } from '../store/influx-dedupe-index.js';
import { INFLUX_ENCODER_MODULE } from '../store/influx-encoder.js';
import type { DedupeIndex } from '../ports/dedupe-index.js';
import { IngestJournal } from './ingest-journal.js';
import { createIngester } from './ingester.js';
import type { Ingester } from './ingester.js';
import { TOPIC_A, startSuiteAedes, suitePayload, suiteReadings, suiteRegistry } from './ingester.suite.js';

describe('ingester with a journal, a copy racing its original into the store', () => {
  const dir = useTempDir('qingliu-journal-race');
  let influxd: InfluxdServer;
  let broker: EmbeddedBroker;
  let journal: IngestJournal;
  let ingester: Ingester;
  let edge: MqttClient;
  let real: ReadingStore;
  let realIndex: DedupeIndex;

  beforeAll(async () => {
    influxd = await startInfluxd();
    broker = await startSuiteAedes();
    real = await createInfluxStore({ url: influxd.url, database: 'qingliu', timeoutMs: 2000 });
    realIndex = createInfluxDedupeIndex({ url: influxd.url, database: 'qingliu', timeoutMs: 2000 });
  });

  afterAll(async () => {
    await edge?.endAsync(true);
    await ingester?.close();
    await journal?.close();
    await broker?.close();
    await influxd?.stop();
  });

  it('refuses the copy as a duplicate and stores each reading once', async () => {
    let releaseWrite!: () => void;
    const writeHeld = new Promise<void>((resolve) => (releaseWrite = resolve));
    let checks = 0;
    const store: ReadingStore = {
      ...real,
      writeEncoded: async (parts) => {
        await writeHeld;
        await real.writeEncoded(parts);
      },
    };
    const dedupeIndex: DedupeIndex = {
      ...realIndex,
      storedSequences: async (device, fromMs, toMs) => {
        const answer = await realIndex.storedSequences(device, fromMs, toMs);
        checks += 1;
        // The answer is taken; now the original goes into the store and leaves the journal.
        releaseWrite();
        await waitFor(() => ingester.stats().stored > 0, 10_000, 'the original stored and committed');
        return answer;
      },
    };
    journal = await IngestJournal.open(dir());
    ingester = await createIngester({
      journal,
      mqtt: { url: broker.url, username: 'ingester', password: 'pw-i', clientId: 'ingester-race' },
      registry: suiteRegistry,
      store,
      dedupeIndex,
      encoderModule: INFLUX_ENCODER_MODULE,
      settlementPeriodMs: 1e12,
      logger: pino({ level: 'silent' }),
      retryMinMs: 50,
      retryMaxMs: 200,
    });
    edge = await connectAsync(broker.url, { username: 'edge-a', password: 'pw-a', clientId: 'edge-a' });

    const payload = suitePayload(suiteReadings(10));
    await edge.publishAsync(TOPIC_A, payload, { qos: 1 }); // journaled and acknowledged; its store write is held
    await edge.publishAsync(TOPIC_A, payload, { qos: 1 }); // the copy, checked while the write goes through
    // The copy is decided once refused, or once stored a second time.
    await waitFor(() => checks === 1 && (ingester.stats().rejected.DUPLICATE ?? 0) + ingester.stats().stored > 10, 10_000, 'the copy decided');

    const stats = ingester.stats();
    expect(stats.rejected).toEqual({ DUPLICATE: 1 });
    expect(stats.duplicates).toBe(10);
    expect(stats.stored).toBe(10);
    expect(journal.pendingEntries()).toHaveLength(0);
  });
});
