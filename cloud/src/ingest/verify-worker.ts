import { parentPort, workerData } from 'node:worker_threads';
import { isQingliuError } from '@qingliu/protocol';
import { DeviceRegistry } from '../registry/device-registry.js';
import type { Enrolment } from '../registry/device-registry.js';
import { loadEncoder, verifyAndEncode } from './verify-pool.js';
import type { VerifyReply, VerifyRequest, VerifyWorkerData } from './verify-pool.js';

/**
 * One thread of the verify pool (verify-pool.ts): checks messages against its
 * copy of the registry and answers each with its readings encoded for the
 * store and their seqs, or with the reason it is refused.
 */
const data = workerData as VerifyWorkerData;
const registry = new DeviceRegistry(data.enrolments);
const encode = await loadEncoder(data.encoderModule);
const port = parentPort!;

// Attached once the encoder is loaded: messages wait in the port until then.
port.on('message', (message: VerifyRequest | { enrol: Enrolment }) => {
  if ('enrol' in message) {
    registry.enrol(message.enrol);
    return;
  }
  let reply: VerifyReply;
  const transfer: ArrayBuffer[] = [];
  try {
    const payload = Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength);
    const { encoded, seqs } = verifyAndEncode(message.topic, payload, message.batch, registry, data.maxPayloadBytes, encode);
    reply = { id: message.id, encoded, seqs };
    transfer.push(seqs.buffer as ArrayBuffer);
  } catch (error) {
    // Anything but a refusal (a bug, not bad input) is answered as such: the pool checks the message on its own thread.
    reply = isQingliuError(error) ? { id: message.id, code: error.code, reason: error.shortMessage } : { id: message.id, failed: String(error) };
  }
  port.postMessage(reply, transfer);
});
