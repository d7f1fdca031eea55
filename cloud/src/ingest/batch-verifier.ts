import {
  QingliuError,
  parseReadingsTopic,
  signedBatchSchema,
  verifyBatchSignature,
} from '@qingliu/protocol';
import type { QingliuErrorCode, Reading, SignedBatch } from '@qingliu/protocol';
import type { DeviceRegistry } from '../registry/device-registry.js';

/** The largest MQTT payload the ingester parses, bytes. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

export interface VerifiedBatch {
  batch: SignedBatch;
  readings: Reading[];
}

function reject(code: QingliuErrorCode, message: string): never {
  throw new QingliuError(code, message);
}

/**
 * Checks one MQTT message: size, JSON, schema, topic against the batch, the
 * device's enrolment and signature. Throws a QingliuError naming the reason;
 * none of these are retryable.
 */
export function verifyBatchMessage(
  topic: string,
  payload: Buffer,
  registry: DeviceRegistry,
  maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES,
): VerifiedBatch {
  if (payload.length > maxPayloadBytes) {
    reject('PAYLOAD_TOO_LARGE', `payload of ${payload.length} bytes exceeds ${maxPayloadBytes}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    reject('SCHEMA_INVALID', 'payload is not JSON');
  }
  const parsed = signedBatchSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    reject('SCHEMA_INVALID', `${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  const batch = parsed.data;
  const route = parseReadingsTopic(topic);
  if (!route || route.enterprise !== batch.enterprise || route.device !== batch.device) {
    reject('TOPIC_MISMATCH', `batch of ${batch.enterprise}/${batch.device} on topic ${topic}`);
  }
  const device = registry.get(batch.device);
  if (!device || device.enterprise !== batch.enterprise) {
    reject('DEVICE_UNKNOWN', `device ${batch.device} is not enrolled for ${batch.enterprise}`);
  }
  for (const reading of batch.readings) {
    if (
      reading.device !== batch.device ||
      reading.enterprise !== batch.enterprise ||
      reading.outfall !== device.outfall
    ) {
      reject('TOPIC_MISMATCH', `reading seq ${reading.seq} does not belong to ${batch.device}`);
    }
  }
  if (!verifyBatchSignature(batch, device.key)) {
    reject('SIGNATURE_INVALID', `bad signature on a batch of ${batch.device}`);
  }
  return { batch, readings: batch.readings };
}
