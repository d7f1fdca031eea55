/**
 * Found by the whole-system suite (demo/src/system): after a broker restart,
 * agents that reconnect before the ingesters have subscribed again get their
 * batches acknowledged by a broker that routes them to nobody. Over MQTT 5
 * the broker says so (PUBREC reason 16 to a QoS 2 batch) and the batch must stay in the outbox.
 */
import { createPrivateKey } from 'node:crypto';
import { connectAsync } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { ALL_READINGS_TOPIC, generateDeviceKeyPair } from '@qingliu/protocol';
import type { Reading } from '@qingliu/protocol';
import { sleep, startMosquitto, waitFor } from '@qingliu/testkit';
import type { MosquittoServer } from '@qingliu/testkit';
import { createBatchPublisher } from './batch-publisher.js';
import { createMemoryOutbox } from './memory-outbox.js';
import { MqttSessionStore } from './mqtt-session-store.js';

describe('batch publisher over MQTT 5', () => {
  let mosquitto: MosquittoServer;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    mosquitto = await startMosquitto();
  });
  afterAll(async () => {
    for (const client of clients) await client.endAsync(true);
    await mosquitto?.stop();
  });

  it('keeps a batch in the outbox while the broker has no subscriber for it, and sends it once one subscribes', async () => {
    const session = await MqttSessionStore.open(undefined);
    const edge = await connectAsync(mosquitto.url, { clientId: 'edge-v5', protocolVersion: 5, outgoingStore: session });
    clients.push(edge);
    const outbox = createMemoryOutbox({ maxBytes: 1 << 20 });
    const readings: Reading[] = [0, 1, 2].map((seq) => ({
      enterprise: 'ent-a', outfall: 'out-1', device: 'dev-a', pollutant: 'w01018', value: 20 + seq, unit: 'mg/L', ts: Date.UTC(2026, 10, 24) + seq * 1000, seq, flag: 'N',
    }));
    await outbox.append(readings);
    const publisher = createBatchPublisher({
      client: edge,
      session,
      outbox,
      enterprise: 'ent-a',
      keys: new Map([['dev-a', createPrivateKey(generateDeviceKeyPair().privateKeyPem)]]),
      logger: pino({ level: 'silent' }),
      maxBatch: 500,
      qos: 1, // a QoS 2 batch is routed at PUBREL, after the broker answered: only a PUBACK can say "nobody"
    });
    publisher.kick();
    await sleep(1_500);
    expect(publisher.published()).toBe(0);
    expect(outbox.size()).toBe(3);

    const received: string[] = [];
    const ingester = await connectAsync(mosquitto.url, { clientId: 'ingester-v5' });
    clients.push(ingester);
    ingester.on('message', (topic) => received.push(topic));
    await ingester.subscribeAsync(`$share/ingest/${ALL_READINGS_TOPIC}`, { qos: 1 });
    await waitFor(() => outbox.size() === 0, 5_000, 'the batch to be sent again once a subscriber is there');
    await waitFor(() => received.length >= 1, 5_000, 'the batch at the subscriber');
    expect(publisher.published()).toBe(3);
    await publisher.stop();
  }, 20_000);
});
