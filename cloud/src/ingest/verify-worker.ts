import { parentPort, workerData } from 'node:worker_threads';
import { isQingliuError } from '@qingliu/protocol';
import { DeviceRegistry } from '../registry/device-registry.js';
import type { Enrolment } from '../registry/device-registry.js';
import { verifyBatchMessage } from './batch-verifier.js';
import type { VerifyReply, VerifyRequest, VerifyWorkerData } from './verify-pool.js';

/**
 * One thread of the verify pool (verify-pool.ts): checks messages against its
 * copy of the registry and answers each with the reason it is refused, or none.
 */
const data = workerData as VerifyWorkerData;
const registry = new DeviceRegistry(data.enrolments);
const port = parentPort!;

port.on('message', (message: VerifyRequest | { enrol: Enrolment }) => {
  if ('enrol' in message) {
    registry.enrol(message.enrol);
    return;
  }
  let reply: VerifyReply;
  try {
    verifyBatchMessage(message.topic, Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength), registry, data.maxPayloadBytes);
    reply = { id: message.id };
  } catch (error) {
    // Anything but a refusal (a bug, not bad input) is answered as such: the pool checks the message on its own thread.
    reply = isQingliuError(error) ? { id: message.id, code: error.code, reason: error.shortMessage } : { id: message.id, failed: String(error) };
  }
  port.postMessage(reply);
});
