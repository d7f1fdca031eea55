import { BATCH_VERSION, generateDeviceKeyPair, isQingliuError, readingsTopic, signBatch, signedBatchSchema } from '@qingliu/protocol';
import type { Reading } from '@qingliu/protocol';
import { DeviceRegistry } from '../registry/device-registry.js';
import { verifyBatchMessage } from './batch-verifier.js';

const keyA = generateDeviceKeyPair();
const keyB = generateDeviceKeyPair();
const registry = new DeviceRegistry([
  { device: 'dev-a', enterprise: 'ent-a', outfall: 'out-1', publicKey: keyA.publicKeyHex, sampleIntervalMs: 1000, channels: ['cod-2'] },
  { device: 'dev-b', enterprise: 'ent-b', outfall: 'out-9', publicKey: keyB.publicKeyHex, sampleIntervalMs: 1000 },
]);

const reading = (seq: number): Reading => ({
  enterprise: 'ent-a',
  outfall: 'out-1',
  device: 'dev-a',
  pollutant: 'w01018',
  value: 40 + seq,
  unit: 'mg/L',
  ts: 1_790_000_000_000 + seq,
  seq,
  flag: 'N',
});

const good = signBatch({ v: BATCH_VERSION, enterprise: 'ent-a', device: 'dev-a', readings: [reading(1), reading(2)] }, keyA.privateKeyPem);
const topicA = readingsTopic('ent-a', 'dev-a');

function reason(topic: string, payload: string | Buffer, max?: number): string {
  try {
    verifyBatchMessage(topic, Buffer.isBuffer(payload) ? payload : Buffer.from(payload), registry, max);
  } catch (error) {
    if (isQingliuError(error)) return error.code;
    throw error;
  }
  return 'ACCEPTED';
}

describe('verifyBatchMessage', () => {
  it('accepts a signed batch of an enrolled device on its own topic', () => {
    expect(reason(topicA, JSON.stringify(good))).toBe('ACCEPTED');
  });

  it.each([
    ['not JSON', topicA, '{"v":1,', 'SCHEMA_INVALID'],
    ['a wrong type', topicA, JSON.stringify({ ...good, readings: [{ ...reading(1), value: '41' }] }), 'SCHEMA_INVALID'],
    ['an unknown field', topicA, JSON.stringify({ ...good, extra: 1 }), 'SCHEMA_INVALID'],
    ['a changed value', topicA, JSON.stringify({ ...good, readings: [reading(1), { ...reading(2), value: 1 }] }), 'SIGNATURE_INVALID'],
    ["another device's topic", readingsTopic('ent-b', 'dev-b'), JSON.stringify(good), 'TOPIC_MISMATCH'],
    ['a batch naming an unknown device', readingsTopic('ent-a', 'dev-x'), JSON.stringify({ ...good, device: 'dev-x' }), 'DEVICE_UNKNOWN'],
  ])('rejects %s', (_name, topic, payload, code) => {
    expect(reason(topic, payload)).toBe(code);
  });

  it('rejects a device that is not enrolled even when topic and batch agree', () => {
    const rogue = generateDeviceKeyPair();
    const r = { ...reading(1), device: 'dev-x' };
    const batch = signBatch({ v: BATCH_VERSION, enterprise: 'ent-a', device: 'dev-x', readings: [r] }, rogue.privateKeyPem);
    expect(reason(readingsTopic('ent-a', 'dev-x'), JSON.stringify(batch))).toBe('DEVICE_UNKNOWN');
  });

  it('rejects a reading claiming another outfall than the enrolled one', () => {
    const r = { ...reading(1), outfall: 'out-2' };
    const batch = signBatch({ v: BATCH_VERSION, enterprise: 'ent-a', device: 'dev-a', readings: [r] }, keyA.privateKeyPem);
    expect(reason(topicA, JSON.stringify(batch))).toBe('TOPIC_MISMATCH');
  });

  it('rejects an oversized payload before parsing it', () => {
    expect(reason(topicA, Buffer.alloc(2048, 0x20), 1024)).toBe('PAYLOAD_TOO_LARGE');
  });

  it('accepts any HJ 212-2017 water code and a second instance of a code by its channel, and refuses a code outside the table', () => {
    const more = [
      reading(1),
      { ...reading(2), channel: 'cod-2', value: 55.5 },
      { ...reading(3), pollutant: 'w00001' as const, unit: 'm3', value: 1_234_567 },
      { ...reading(4), pollutant: 'w20111' as const, unit: 'ug/L', value: 0.03 },
    ];
    const batch = signBatch({ v: BATCH_VERSION, enterprise: 'ent-a', device: 'dev-a', readings: more }, keyA.privateKeyPem);
    const verified = verifyBatchMessage(topicA, JSON.stringify(batch), registry);
    expect(verified.readings).toEqual(more);

    const outside = signBatch({ v: BATCH_VERSION, enterprise: 'ent-a', device: 'dev-a', readings: [{ ...reading(1), pollutant: 'w12345' as 'w01018' }] }, keyA.privateKeyPem);
    expect(() => verifyBatchMessage(topicA, JSON.stringify(outside), registry)).toThrow(/readings\.0\.pollutant/);
    // The second analyzer cannot be passed off as the primary one (whose COD is charged), nor the other way round.
    const { channel: _channel, ...unlabelled } = more[1]!;
    expect(reason(topicA, JSON.stringify({ ...batch, readings: [more[0], unlabelled, more[2], more[3]] }))).toBe('SIGNATURE_INVALID');
    expect(reason(topicA, JSON.stringify({ ...batch, readings: [{ ...more[0], channel: 'cod-2' }, ...more.slice(1)] }))).toBe('SIGNATURE_INVALID');
  });

  it('refuses a channel the bureau did not enrol for the device, even well signed: a plant cannot label its only COD a second instance', () => {
    const relabelled = signBatch({ v: BATCH_VERSION, enterprise: 'ent-a', device: 'dev-a', readings: [{ ...reading(1), channel: 'cod-9' }] }, keyA.privateKeyPem);
    expect(reason(topicA, JSON.stringify(relabelled))).toBe('DEVICE_UNKNOWN');
    expect(() => verifyBatchMessage(topicA, JSON.stringify(relabelled), registry)).toThrow(/channel cod-9 is not enrolled for dev-a/);
    const unenrolled = signBatch({ v: BATCH_VERSION, enterprise: 'ent-b', device: 'dev-b', readings: [{ ...reading(1), enterprise: 'ent-b', device: 'dev-b', outfall: 'out-9', channel: 'cod-2' }] }, keyB.privateKeyPem);
    expect(reason(readingsTopic('ent-b', 'dev-b'), JSON.stringify(unenrolled))).toBe('DEVICE_UNKNOWN');
  });
});

describe('verifyBatchMessage: the compiled schema check and the zod schema agree', () => {
  // The verifier checks shapes with ajv (compiled from the zod schema) and asks zod only to word a refusal:
  // each case is refused as SCHEMA_INVALID exactly when zod refuses it.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the cases put any JSON value anywhere in the batch
  type Loose = Record<string, any>;
  const base = (): Loose => structuredClone(good);
  const at2 = 2 ** 53;
  const cases: [string, (b: Loose) => void][] = [
    ['v 2', (b) => (b.v = 2)],
    ['v "1"', (b) => (b.v = '1')],
    ['no readings', (b) => (b.readings = [])],
    ['5001 readings', (b) => (b.readings = Array.from({ length: 5001 }, (_, i) => reading(i)))],
    ['5000 readings', (b) => (b.readings = Array.from({ length: 5000 }, (_, i) => reading(i)))],
    ['readings not an array', (b) => (b.readings = { 0: reading(1) })],
    ['a null reading', (b) => (b.readings[0] = null)],
    ['a reading as an array', (b) => (b.readings[0] = Object.values(reading(1)))],
    ['an id of 65 characters', (b) => (b.device = 'd'.repeat(65))],
    ['an id of 64 characters', (b) => (b.device = 'd'.repeat(64))],
    ['an id with a space', (b) => (b.readings[0].outfall = 'out 1')],
    ['an id with a slash', (b) => (b.enterprise = 'ent/a')],
    ['an id with a non-ASCII letter', (b) => (b.readings[1].enterprise = 'entä')],
    ['an empty id', (b) => (b.readings[1].device = '')],
    ['an unknown pollutant', (b) => (b.readings[0].pollutant = 'w99999')],
    ['a code of the table outside the six', (b) => (b.readings[0].pollutant = 'w99001')],
    ['a malformed code', (b) => (b.readings[0].pollutant = 'w1018')],
    ['a channel', (b) => (b.readings[0].channel = 'cod-2')],
    ['an empty channel', (b) => (b.readings[0].channel = '')],
    ['a channel with a space', (b) => (b.readings[0].channel = 'cod 2')],
    ['a numeric channel', (b) => (b.readings[0].channel = 2)],
    ['a null channel', (b) => (b.readings[0].channel = null)],
    ['an unknown flag', (b) => (b.readings[0].flag = 'n')],
    ['a string value', (b) => (b.readings[0].value = '41')],
    ['a null value', (b) => (b.readings[0].value = null)],
    ['a negative value', (b) => (b.readings[0].value = -3.5)],
    ['a huge value', (b) => (b.readings[0].value = 1.7e308)],
    ['a fractional seq', (b) => (b.readings[0].seq = 1.5)],
    ['a negative seq', (b) => (b.readings[0].seq = -1)],
    ['seq 2^53', (b) => (b.readings[0].seq = at2)],
    ['seq 2^53 - 1', (b) => (b.readings[0].seq = at2 - 1)],
    ['a fractional ts', (b) => (b.readings[0].ts = 1.25)],
    ['ts 2^53', (b) => (b.readings[0].ts = at2)],
    ['ts 1e21', (b) => (b.readings[0].ts = 1e21)],
    ['an empty unit', (b) => (b.readings[0].unit = '')],
    ['a unit of 16 characters', (b) => (b.readings[0].unit = 'u'.repeat(16))],
    ['a unit of 17 characters', (b) => (b.readings[0].unit = 'u'.repeat(17))],
    ['a unit of 16 astral characters (32 UTF-16 units)', (b) => (b.readings[0].unit = '𝔪'.repeat(16))],
    ['a unit of 17 astral characters', (b) => (b.readings[0].unit = '𝔪'.repeat(17))],
    ['a unit with a lone surrogate', (b) => (b.readings[0].unit = 'mg\ud835')],
    ['a missing unit', (b) => delete b.readings[0].unit],
    ['a unit with a newline (it would end an InfluxDB line)', (b) => (b.readings[0].unit = 'mg\nL')],
    ['a unit with a tab', (b) => (b.readings[0].unit = 'mg\tL')],
    ['a unit with DEL', (b) => (b.readings[0].unit = 'mg\u007f')],
    ['a unit in Chinese', (b) => (b.readings[0].unit = '毫克/升')],
    ['an extra reading field', (b) => (b.readings[0].note = 'x')],
    ['an extra field named __proto__', (b) => Object.defineProperty(b, '__proto__', { value: {}, enumerable: true })],
    ['a missing sig', (b) => delete b.sig],
    ['a short sig', (b) => (b.sig = b.sig.slice(4))],
    ['a sig with a newline', (b) => (b.sig = `${b.sig.slice(0, 86)}\n==`)],
    ['a top-level array', (b) => Object.assign(b, { readings: [[]] })],
  ];

  it.each(cases)('%s', (_name, change) => {
    const b = base();
    change(b);
    const payload = JSON.stringify(b);
    const zodSays = signedBatchSchema.safeParse(JSON.parse(payload)).success;
    const verdict = reason(topicA, payload);
    expect(verdict === 'SCHEMA_INVALID').toBe(!zodSays);
  });

  it('refuses a well-signed batch whose unit holds a newline, before it reaches the store', () => {
    const batch = signBatch({ v: BATCH_VERSION, enterprise: 'ent-a', device: 'dev-a', readings: [{ ...reading(1), unit: 'mg\nL' }] }, keyA.privateKeyPem);
    expect(() => verifyBatchMessage(topicA, JSON.stringify(batch), registry)).toThrow(/readings\.0\.unit: expected no control characters/);
  });

  it('words a refusal with the field and the reason', () => {
    const b = base();
    b.readings[1].seq = -1;
    expect(() => verifyBatchMessage(topicA, JSON.stringify(b), registry)).toThrow(/readings\.1\.seq: /);
  });
});
