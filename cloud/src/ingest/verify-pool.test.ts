import { pino } from 'pino';
import { BATCH_VERSION, generateDeviceKeyPair, isQingliuError, readingsTopic, signBatch } from '@qingliu/protocol';
import type { Reading } from '@qingliu/protocol';
import { DeviceRegistry } from '../registry/device-registry.js';
import { createVerifyPool } from './verify-pool.js';
import type { MessageVerifier, VerifiedMessage, VerifyPoolParameters } from './verify-pool.js';

const key = generateDeviceKeyPair();
const enrolment = { device: 'dev-a', enterprise: 'ent-a', outfall: 'out-1', publicKey: key.publicKeyHex, sampleIntervalMs: 1000 };
const topic = readingsTopic('ent-a', 'dev-a');
const logger = pino({ level: 'silent' });

const reading = (seq: number, unit = 'mg/L'): Reading => ({
  enterprise: 'ent-a', outfall: 'out-1', device: 'dev-a', pollutant: 'w01018', value: seq / 7, unit, ts: 1_790_000_000_000 + seq, seq, flag: 'N',
});
/** A signed batch of `n` readings from `seq` on. */
const message = (seq: number, n: number, unit?: string): Buffer =>
  Buffer.from(JSON.stringify(signBatch({ v: BATCH_VERSION, enterprise: 'ent-a', device: 'dev-a', readings: Array.from({ length: n }, (_, i) => reading(seq + i, unit)) }, key.privateKeyPem)));

/** What the pool answered: the first seq of a good batch, or the refusal's code. */
const outcome = (verified: Promise<VerifiedMessage>): Promise<string> =>
  verified.then(
    (m) => `seq ${m.seqs[0]}`,
    (error: unknown) => (isQingliuError(error) ? error.code : `error ${String(error)}`),
  );
const BATCH = 42;
const encoderModule = new URL('../store/influx-encoder.js', import.meta.url);
const newPool = (threads: number, registry: DeviceRegistry, more: Partial<VerifyPoolParameters> = {}): Promise<MessageVerifier> =>
  createVerifyPool({ threads, registry, maxPayloadBytes: 1024 * 1024, encoderModule, logger, ...more });

describe('verify pool (worker threads)', () => {
  let pool: MessageVerifier | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  it('answers on two threads in the order the messages came, good ones parsed and bad ones with their reason', async () => {
    pool = await newPool(2, new DeviceRegistry([enrolment]));
    // Sizes vary so the threads finish out of order; the answers may not.
    const sizes = [2000, 1, 1500, 3, 800, 1, 2500, 2];
    const payloads = sizes.map((n, i) => message(i * 10_000, n));
    payloads[3] = Buffer.from('{"v":1,'); // not JSON
    const tampered = JSON.parse(payloads[5]!.toString()) as { readings: { value: number }[] };
    tampered.readings[0]!.value += 1;
    payloads[5] = Buffer.from(JSON.stringify(tampered));
    const order: number[] = [];
    const answers = await Promise.all(
      payloads.map((p, i) => {
        const verified = pool!.verify(topic, p, BATCH);
        void verified.then(() => order.push(i), () => order.push(i));
        return outcome(verified);
      }),
    );
    expect(answers).toEqual(['seq 0', 'seq 10000', 'seq 20000', 'SCHEMA_INVALID', 'seq 40000', 'SIGNATURE_INVALID', 'seq 60000', 'seq 70000']);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // A good message comes back encoded for the store in the batch asked for, with its seqs; the readings parsed only when asked.
    const verified = await pool.verify(topic, payloads[0]!, BATCH);
    const lines = verified.encoded.text.split('\n');
    expect(lines).toHaveLength(2000);
    expect(lines.every((line) => line.startsWith('reading,device=dev-a,enterprise=ent-a,outfall=out-1,pollutant=w01018 batch=42i,'))).toBe(true);
    expect({ ...verified.encoded, text: '' }).toEqual({ text: '', count: 2000, device: 'dev-a', fromMs: 1_790_000_000_000, toMs: 1_790_000_001_999 });
    expect([...verified.seqs]).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    expect(verified.text).toBe(payloads[0]!.toString());
    expect(verified.readings()).toEqual(Array.from({ length: 2000 }, (_, i) => ({ ...reading(i), batch: BATCH })));
  });

  it('refuses an oversized payload before it reaches a thread', async () => {
    pool = await newPool(1, new DeviceRegistry([enrolment]), { maxPayloadBytes: 1000 });
    expect(await outcome(pool.verify(topic, message(1, 50), BATCH))).toBe('PAYLOAD_TOO_LARGE');
    expect(await outcome(pool.verify(topic, message(1, 2), BATCH))).toBe('seq 1');
  });

  it('follows the registry: a device enrolled after the threads started is known to them', async () => {
    const registry = new DeviceRegistry();
    pool = await newPool(2, registry);
    expect(await outcome(pool.verify(topic, message(1, 2), BATCH))).toBe('DEVICE_UNKNOWN');
    registry.enrol(enrolment);
    const answers = await Promise.all([1, 2, 3, 4].map((n) => outcome(pool!.verify(topic, message(n * 100, 2), BATCH))));
    expect(answers).toEqual(['seq 100', 'seq 200', 'seq 300', 'seq 400']);
  });

  it('loses no message when a thread dies: its replacement, then the calling thread, checks it again', async () => {
    pool = await newPool(2, new DeviceRegistry([enrolment]), { workerUrl: new URL('../testing/dying-verify-worker.js', import.meta.url) });
    // The "die" batch kills each thread it is sent to (twice), then is checked on this thread: a good batch, accepted.
    const payloads = [message(0, 500), message(1000, 3, 'die'), message(2000, 500), message(3000, 1)];
    const answers = await Promise.all(payloads.map((p) => outcome(pool!.verify(topic, p, BATCH))));
    expect(answers).toEqual(['seq 0', 'seq 1000', 'seq 2000', 'seq 3000']);
    // The pool still has its threads.
    const after = await Promise.all([4000, 5000, 6000].map((seq) => outcome(pool!.verify(topic, message(seq, 10), BATCH))));
    expect(after).toEqual(['seq 4000', 'seq 5000', 'seq 6000']);
  });

  it('checks on the calling thread with threads: 0, with the same answers', async () => {
    pool = await newPool(0, new DeviceRegistry([enrolment]));
    expect(await Promise.all([message(5, 2), Buffer.from('[]')].map((p) => outcome(pool!.verify(topic, p, BATCH))))).toEqual(['seq 5', 'SCHEMA_INVALID']);
  });
});
