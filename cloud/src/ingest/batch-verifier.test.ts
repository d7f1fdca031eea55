import { BATCH_VERSION, generateDeviceKeyPair, isQingliuError, readingsTopic, signBatch } from '@qingliu/protocol';
import type { Reading } from '@qingliu/protocol';
import { DeviceRegistry } from '../registry/device-registry.js';
import { verifyBatchMessage } from './batch-verifier.js';

const keyA = generateDeviceKeyPair();
const keyB = generateDeviceKeyPair();
const registry = new DeviceRegistry([
  { device: 'dev-a', enterprise: 'ent-a', outfall: 'out-1', publicKey: keyA.publicKeyHex, sampleIntervalMs: 1000 },
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
});
