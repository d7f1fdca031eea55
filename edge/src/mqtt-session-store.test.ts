/**
 * The agent's disk-kept MQTT session against Debian's Mosquitto: an agent cut
 * off at each step of a QoS 2 exchange (PUBLISH sent; PUBREC received; PUBREL
 * sent) and started again on the same folder delivers every reading to a
 * subscriber exactly once. The cut is the client dropped on the spot (no
 * DISCONNECT, nothing more sent or stored) and the outbox closed, as kill -9
 * leaves them: what is on disk is what the next start finds.
 */
import { createPrivateKey } from 'node:crypto';
import { UniqueMessageIdProvider, connect, connectAsync } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { ALL_READINGS_TOPIC, generateDeviceKeyPair, signedBatchSchema } from '@qingliu/protocol';
import type { Reading } from '@qingliu/protocol';
import { startMosquitto, useTempDir, waitFor } from '@qingliu/testkit';
import type { MosquittoServer } from '@qingliu/testkit';
import { createBatchPublisher } from './batch-publisher.js';
import type { BatchPublisher } from './batch-publisher.js';
import { openDiskOutbox } from './disk-outbox.js';
import type { Outbox } from './outbox.js';
import { MqttSessionStore } from './mqtt-session-store.js';

const key = createPrivateKey(generateDeviceKeyPair().privateKeyPem);
const readings = (from: number, n: number): Reading[] =>
  Array.from({ length: n }, (_, i) => ({
    enterprise: 'ent-a', outfall: 'out-1', device: 'dev-a', pollutant: 'w01018', value: 20 + i, unit: 'mg/L', ts: Date.UTC(2026, 10, 24) + (from + i) * 1000, seq: from + i, flag: 'N',
  }));

interface RunningAgent {
  client: MqttClient;
  outbox: Outbox;
  session: MqttSessionStore;
  publisher: BatchPublisher;
}

describe('the disk-kept MQTT session (QoS 2) through a cut at each step', () => {
  const dir = useTempDir('qingliu-session');
  let mosquitto: MosquittoServer;
  let watcher: MqttClient;
  const copies = new Map<number, number>();

  beforeAll(async () => {
    mosquitto = await startMosquitto();
    watcher = await connectAsync(mosquitto.url, { clientId: 'session-watcher' });
    watcher.on('message', (_topic, payload) => {
      for (const r of signedBatchSchema.parse(JSON.parse(payload.toString())).readings) copies.set(r.seq, (copies.get(r.seq) ?? 0) + 1);
    });
    await watcher.subscribeAsync(ALL_READINGS_TOPIC, { qos: 2 });
  });
  afterAll(async () => {
    await watcher?.endAsync(true);
    await mosquitto?.stop();
  });

  async function startAgent(clientId: string): Promise<RunningAgent> {
    const outbox = await openDiskOutbox({ dir: dir() });
    const session = await MqttSessionStore.open(dir());
    const client = connect(mosquitto.url, { clientId, clean: false, outgoingStore: session, messageIdProvider: new UniqueMessageIdProvider(), reconnectPeriod: 200 });
    const publisher = createBatchPublisher({ client, session, outbox, enterprise: 'ent-a', keys: new Map([['dev-a', key]]), logger: pino({ level: 'silent' }), maxBatch: 5 });
    return { client, outbox, session, publisher };
  }

  const cuts: { step: string; when: (client: MqttClient, cut: () => void) => void }[] = [
    { step: 'PUBLISH sent, nothing back yet', when: (c, cut) => c.on('packetsend', (p) => p.cmd === 'publish' && cut()) },
    { step: 'PUBREC received, PUBREL not stored', when: (c, cut) => c.on('packetreceive', (p) => p.cmd === 'pubrec' && cut()) },
    { step: 'PUBREL sent, PUBCOMP not received', when: (c, cut) => c.on('packetsend', (p) => p.cmd === 'pubrel' && cut()) },
  ];

  it.each(cuts)('after a cut at "$step", every reading reaches the subscriber once', async ({ step, when }) => {
    copies.clear();
    const clientId = `edge-${cuts.findIndex((c) => c.step === step)}`;
    const first = await startAgent(clientId);
    await first.outbox.append(readings(0, 5));
    await first.outbox.append(readings(5, 5));
    let cut = false;
    when(first.client, () => {
      if (cut) return;
      cut = true;
      first.client.stream.destroy(); // the connection drops, as the process dies
      first.client.end(true); // and nothing more is sent or stored
    });
    first.publisher.kick();
    await waitFor(() => cut, 5_000, 'the cut');
    await first.publisher.stop();
    await first.outbox.close();

    const second = await startAgent(clientId);
    expect(second.session.inFlight()).toEqual([{ device: 'dev-a', throughSeq: 4 }]);
    second.publisher.kick();
    await waitFor(() => second.outbox.size() === 0 && copies.size === 10, 10_000, 'all ten readings at the subscriber');
    await new Promise((resolve) => setTimeout(resolve, 300)); // a late second copy would show by now
    expect([...copies].sort(([a], [b]) => a - b)).toEqual(Array.from({ length: 10 }, (_, seq) => [seq, 1]));
    expect(second.session.inFlight()).toEqual([]);
    await second.publisher.stop();
    await second.client.endAsync();
    await second.outbox.close();
  }, 20_000);
});
