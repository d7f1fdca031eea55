/**
 * Found by the whole-system suite (demo/src/system): Mosquitto 2.0.11 with
 * persistence restores an ingester's session after a restart but not its
 * shared subscription, and says the session is present, so mqtt.js does not
 * subscribe again. The broker then acknowledged the agents' batches to nobody.
 */
import { connectAsync } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { startInfluxd, startMosquitto, waitFor } from '@qingliu/testkit';
import type { InfluxdServer, MosquittoServer } from '@qingliu/testkit';
import type { ReadingStore } from '../ports/reading-store.js';
import { createInfluxStore } from '../store/influx-store.js';
import { createInfluxDedupeIndex } from '../store/influx-dedupe-index.js';
import { INFLUX_ENCODER_MODULE } from '../store/influx-encoder.js';
import type { DedupeIndex } from '../ports/dedupe-index.js';
import { createIngester } from './ingester.js';
import type { Ingester } from './ingester.js';
import { TOPIC_A, suitePayload, suiteReadings, suiteRegistry } from './ingester.suite.js';

describe('an ingester on a shared subscription across a Mosquitto restart', () => {
  let influxd: InfluxdServer;
  let mosquitto: MosquittoServer;
  let store: ReadingStore;
  let dedupeIndex: DedupeIndex;
  let ingester: Ingester | undefined;
  let edge: MqttClient | undefined;

  beforeAll(async () => {
    influxd = await startInfluxd();
    mosquitto = await startMosquitto({ persistence: true });
    store = await createInfluxStore({ url: influxd.url, database: 'qingliu' });
    dedupeIndex = createInfluxDedupeIndex({ url: influxd.url, database: 'qingliu' });
  });
  afterAll(async () => {
    await edge?.endAsync(true);
    await ingester?.close();
    await mosquitto?.stop();
    await influxd?.stop();
  });

  it('subscribes again when the broker comes back with its session but without the subscription', async () => {
    ingester = await createIngester({
      mqtt: { url: mosquitto.url, clientId: 'ingester-restart', sharedGroup: 'ingest' },
      registry: suiteRegistry,
      store,
      dedupeIndex,
      encoderModule: INFLUX_ENCODER_MODULE,
      settlementPeriodMs: 60_000,
      logger: pino({ level: 'silent' }),
    });
    await mosquitto.down();
    await mosquitto.up();
    // The ingester reconnects within its 1 s reconnect period; give it time to subscribe again.
    await waitFor(async () => {
      const probe = await connectAsync(mosquitto.url, { clientId: 'probe', reconnectPeriod: 0 });
      await probe.endAsync();
      return true;
    }, 5_000, 'the broker back');
    await new Promise((resolve) => setTimeout(resolve, 2_500));

    edge = await connectAsync(mosquitto.url, { clientId: 'edge-restart' });
    const readings = suiteReadings(5);
    await edge.publishAsync(TOPIC_A, suitePayload(readings), { qos: 1 });
    await waitFor(() => ingester!.stats().stored >= readings.length, 10_000, 'the batch published after the restart to be stored');
    const stored = await dedupeIndex.storedSequences('dev-a', readings[0]!.ts, readings.at(-1)!.ts);
    expect([...stored].sort((a, b) => a - b)).toEqual(readings.map((r) => r.seq));
  }, 30_000);
});
