import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { QingliuError, idSchema, publicKeyFromHex } from '@qingliu/protocol';

/**
 * The bureau's enrolment of devices: which device belongs to which enterprise
 * and outfall, the Ed25519 key its batches are signed with, and how often it
 * samples (the time each sample stands for in load accounting).
 */
export const enrolmentSchema = z.strictObject({
  device: idSchema,
  enterprise: idSchema,
  outfall: idSchema,
  /** Raw Ed25519 public key, 64 hex characters. */
  publicKey: z.string().regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hex characters'),
  /** Sampling interval of the device, milliseconds. */
  sampleIntervalMs: z.number().int().positive(),
  /**
   * The edge agent that polls it (its agent id): only that agent's status reports may speak of
   * the device. Left out, any agent of its enterprise may.
   */
  agent: idSchema.optional(),
  /**
   * Channel ids of the device's second instances of a code (a second COD analyzer, say), as the
   * bureau enrolled them. A reading with any other channel is refused: which instance is the
   * charged one is the bureau's word, not the plant's.
   */
  channels: z.array(idSchema).optional(),
});

export type Enrolment = z.infer<typeof enrolmentSchema>;

export const enrolmentFileSchema = z.strictObject({ devices: z.array(enrolmentSchema) });

export interface EnrolledDevice extends Enrolment {
  key: KeyObject;
}

export class DeviceRegistry {
  readonly #devices = new Map<string, EnrolledDevice>();
  readonly #listeners = new Set<(enrolment: Enrolment) => void>();

  constructor(enrolments: readonly Enrolment[] = []) {
    for (const enrolment of enrolments) this.enrol(enrolment);
  }

  enrol(enrolment: Enrolment): void {
    const parsed = enrolmentSchema.parse(enrolment);
    this.#devices.set(parsed.device, { ...parsed, key: publicKeyFromHex(parsed.publicKey) });
    for (const listener of this.#listeners) listener(parsed);
  }

  /** Calls `listener` with each enrolment made from now on (copies of the registry follow it); returns the unsubscribe. */
  onEnrol(listener: (enrolment: Enrolment) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The enrolments, as given (without the parsed keys): what a copy of the registry is made from. */
  enrolments(): Enrolment[] {
    return this.list().map(({ key: _key, ...enrolment }) => enrolment);
  }

  get(device: string): EnrolledDevice | undefined {
    return this.#devices.get(device);
  }

  list(): EnrolledDevice[] {
    return [...this.#devices.values()];
  }

  enterprises(): string[] {
    return [...new Set(this.list().map((device) => device.enterprise))].sort();
  }

  static async load(path: string): Promise<DeviceRegistry> {
    const text = await readFile(path, 'utf8');
    const result = enrolmentFileSchema.safeParse(JSON.parse(text));
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new QingliuError('CONFIG_INVALID', `${path}: ${issue?.path.join('.')}: ${issue?.message}`);
    }
    return new DeviceRegistry(result.data.devices);
  }
}
