import { isQingliuError } from '@qingliu/protocol';
import type { QingliuError } from '@qingliu/protocol';

/** The QingliuError a promise rejects with; throws if it resolves or rejects with anything else. */
export async function rejection(promise: Promise<unknown>): Promise<QingliuError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isQingliuError(error)) throw new Error(`expected a QingliuError, got ${String(error)}`);
  return error;
}
