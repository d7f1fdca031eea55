/**
 * How much the ingester's checks cost per reading, against a baseline run in
 * the same process: JSON.parse of the same payloads (the least any ingester
 * must do). Prints one JSON line last: {"verify_rps","parse_rps","ratio",...}.
 *
 *   node bench/dist/verify-batch.js [--batch 500] [--batches 200]
 */
import { parseArgs } from 'node:util';
import { verifyBatchMessage } from '@qingliu/cloud/ingest/batch-verifier';
import { DeviceRegistry } from '@qingliu/cloud/registry/device-registry';
import { BATCH_VERSION, generateDeviceKeyPair, readingsTopic, signBatch } from '@qingliu/protocol';
import type { Reading } from '@qingliu/protocol';

const { values } = parseArgs({ options: { batch: { type: 'string', default: '500' }, batches: { type: 'string', default: '200' } } });
const batchSize = Number(values.batch);
const batches = Number(values.batches);

const key = generateDeviceKeyPair();
const registry = new DeviceRegistry([
  { device: 'dev-1', enterprise: 'ent-a', outfall: 'out-1', publicKey: key.publicKeyHex, sampleIntervalMs: 1000 },
]);
const topic = readingsTopic('ent-a', 'dev-1');
const pollutants = ['w00000', 'w01018', 'w21003', 'w01001'] as const;
const payloads: Buffer[] = [];
let seq = 0;
for (let b = 0; b < batches; b += 1) {
  const readings: Reading[] = Array.from({ length: batchSize }, () => {
    const s = seq++;
    return { enterprise: 'ent-a', outfall: 'out-1', device: 'dev-1', pollutant: pollutants[s % 4]!, value: 10 + (s % 97) / 7, unit: 'mg/L', ts: 1_790_000_000_000 + s * 250, seq: s, flag: 'N' };
  });
  payloads.push(Buffer.from(JSON.stringify(signBatch({ v: BATCH_VERSION, enterprise: 'ent-a', device: 'dev-1', readings }, key.privateKeyPem))));
}

function rate(work: (payload: Buffer) => void): number {
  const start = process.hrtime.bigint();
  for (const payload of payloads) work(payload);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return (batches * batchSize) / seconds;
}

// Warm up both paths, then alternate three rounds each and keep the medians.
rate((p) => JSON.parse(p.toString('utf8')));
rate((p) => verifyBatchMessage(topic, p, registry));
const parse: number[] = [];
const verify: number[] = [];
for (let round = 0; round < 3; round += 1) {
  parse.push(rate((p) => JSON.parse(p.toString('utf8'))));
  verify.push(rate((p) => verifyBatchMessage(topic, p, registry)));
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[1]!;
console.log(`readings per batch ${batchSize}, batches ${batches}, rounds 3 (median)`);
console.log(
  JSON.stringify({
    verify_rps: Math.round(median(verify)),
    parse_rps: Math.round(median(parse)),
    ratio: Number((median(verify) / median(parse)).toFixed(3)),
    batch: batchSize,
  }),
);
