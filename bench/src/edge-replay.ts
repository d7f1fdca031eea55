/**
 * Replay to the broker after an outage: a disk outbox holding `--readings`
 * readings of `--devices` devices is drained by the batch publisher into
 * Debian's Mosquitto, and a subscriber counts what the broker routed. Once at
 * QoS 2 over the disk-kept session (the agent's default: exactly once at the
 * broker, three fdatasyncs and two round trips per batch) and, as the
 * baseline in the same process, at QoS 1 over an in-memory session (at least
 * once). Prints one JSON line last.
 *
 *   node bench/dist/edge-replay.js [--readings 100000] [--devices 8] [--batch 500]
 */
import { createPrivateKey } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { UniqueMessageIdProvider, connect, connectAsync } from 'mqtt';
import { pino } from 'pino';
import { MqttSessionStore, createBatchPublisher, openDiskOutbox } from '@qingliu/edge';
import { ALL_READINGS_TOPIC, generateDeviceKeyPair } from '@qingliu/protocol';
import type { Reading } from '@qingliu/protocol';
import { startMosquitto } from '@qingliu/testkit';

const { values } = parseArgs({
  options: { readings: { type: 'string', default: '100000' }, devices: { type: 'string', default: '8' }, batch: { type: 'string', default: '500' } },
});
const total = Number(values.readings);
const devices = Number(values.devices);
const maxBatch = Number(values.batch);
const perDevice = Math.ceil(total / devices);
const key = createPrivateKey(generateDeviceKeyPair().privateKeyPem);
const keys = new Map(Array.from({ length: devices }, (_, d) => [`dev-${d}`, key]));

const mosquitto = await startMosquitto();
const subscriber = await connectAsync(mosquitto.url, { clientId: 'replay-counter' });
let routed = 0;
subscriber.on('message', (_topic, payload) => {
  routed += (JSON.parse(payload.toString()) as { readings: unknown[] }).readings.length;
});
await subscriber.subscribeAsync(ALL_READINGS_TOPIC, { qos: 2 });

async function replay(qos: 1 | 2): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), `qingliu-replay-${qos}-`));
  try {
    const outbox = await openDiskOutbox({ dir });
    for (let d = 0; d < devices; d += 1) {
      for (let from = 0; from < perDevice; from += 500) {
        const readings: Reading[] = Array.from({ length: Math.min(500, perDevice - from) }, (_, i) => ({
          enterprise: 'ent-a', outfall: `out-${d}`, device: `dev-${d}`, pollutant: 'w01018', value: 20 + ((from + i) % 97) / 7,
          unit: 'mg/L', ts: Date.UTC(2026, 10, 24) + (from + i) * 1000, seq: from + i, flag: 'N',
        }));
        await outbox.append(readings);
      }
    }
    const expected = outbox.size();
    const session = await MqttSessionStore.open(qos === 2 ? dir : undefined);
    const client = connect(mosquitto.url, { clientId: `replay-${qos}`, clean: false, outgoingStore: session, messageIdProvider: new UniqueMessageIdProvider() });
    await new Promise((resolve) => client.once('connect', resolve));
    const publisher = createBatchPublisher({ client, session, outbox, enterprise: 'ent-a', keys, logger: pino({ level: 'silent' }), maxBatch, qos });
    routed = 0;
    const started = performance.now();
    publisher.kick();
    const deadline = started + 120_000;
    while ((outbox.size() > 0 || routed < expected) && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    const seconds = (performance.now() - started) / 1000;
    if (routed !== expected) throw new Error(`QoS ${qos}: the broker routed ${routed} of ${expected} readings`);
    await publisher.stop();
    await client.endAsync();
    await outbox.close();
    return expected / seconds;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const baseline = await replay(1);
const exactlyOnce = await replay(2);
await subscriber.endAsync();
await mosquitto.stop();
console.log(`${devices * perDevice} readings of ${devices} devices in the disk outbox, batches of ${maxBatch}, one in flight per device`);
console.log(JSON.stringify({ qos2_disk_session_rps: Math.round(exactlyOnce), qos1_memory_session_rps: Math.round(baseline), ratio: Number((exactlyOnce / baseline).toFixed(3)) }));
