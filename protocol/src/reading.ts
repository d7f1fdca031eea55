import { z } from 'zod';
import { HJ212_CODES } from './hj212-codes.js';

/** Identifiers travel in MQTT topics and InfluxDB tags, so they are kept plain. */
export const idSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected 1-64 of A-Z a-z 0-9 _ -');

/**
 * HJ 212-2017 data flags: N normal, F stopped, M maintenance, S set by hand,
 * D fault, C calibration, T above the analyzer's range, B communication lost.
 */
/** A unit as text: 1-16 characters (code points), none of them a control character. */
// eslint-disable-next-line no-control-regex -- the control characters are what it refuses
export const unitSchema = z.string().min(1).max(16).regex(/^[^\u0000-\u001f\u007f]*$/, 'expected no control characters');

export const QUALITY_FLAGS = ['N', 'F', 'M', 'S', 'D', 'C', 'T', 'B'] as const;
export type QualityFlag = (typeof QUALITY_FLAGS)[number];

export const readingSchema = z.strictObject({
  enterprise: idSchema,
  outfall: idSchema,
  device: idSchema,
  /** An HJ 212-2017 water code (hj212-codes.ts). */
  pollutant: z.enum(HJ212_CODES),
  /**
   * Which instance of `pollutant` on the device, when it has more than one (a second COD
   * analyzer). Absent on the primary instance, the one load accounting charges; absent, it is
   * left out of the canonical JSON, so a reading without it signs and hashes as before.
   */
  channel: idSchema.optional(),
  value: z.number().refine(Number.isFinite, 'expected a finite number'),
  /** Free text, but no control characters: it is written into InfluxDB's line protocol, where a newline would end the line. */
  unit: unitSchema,
  /** Sampling time, milliseconds since the Unix epoch (UTC). */
  ts: z.number().int().nonnegative(),
  /** Per-device sequence number, one per reading, strictly increasing. */
  seq: z.number().int().nonnegative(),
  flag: z.enum(QUALITY_FLAGS),
});

export type Reading = z.infer<typeof readingSchema>;

export const BATCH_VERSION = 1;

/** The most readings one signed batch may carry. */
export const MAX_BATCH_READINGS = 5000;

export const unsignedBatchSchema = z.strictObject({
  v: z.literal(BATCH_VERSION),
  enterprise: idSchema,
  device: idSchema,
  readings: z.array(readingSchema).min(1).max(MAX_BATCH_READINGS),
});

export const signedBatchSchema = unsignedBatchSchema.extend({
  /** Ed25519 signature (base64) over the canonical JSON of the batch without `sig`. */
  sig: z.string().regex(/^[A-Za-z0-9+/]{86}==$/, 'expected a base64 Ed25519 signature'),
});

export type UnsignedBatch = z.infer<typeof unsignedBatchSchema>;
export type SignedBatch = z.infer<typeof signedBatchSchema>;
