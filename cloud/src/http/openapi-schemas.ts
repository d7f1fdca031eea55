/**
 * The schemas of the API's answers, for the OpenAPI document (openapi.ts): `components.schemas`
 * and the error answers every route shares (`components.responses`). A reading's and a permit
 * limit's come from the zod schemas that check them, so they cannot drift apart.
 */
import { z } from 'zod';
import { readingSchema } from '@qingliu/protocol';
import { permitLimitSchema } from '../registry/permit-limits.js';

/** A zod schema as a JSON Schema 2020-12 object inside the document (no `$schema` of its own). */
function fromZod(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as Record<string, unknown>;
  return json;
}

const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });
const string = { type: 'string' } as const;
const integer = { type: 'integer' } as const;
const number = { type: 'number' } as const;
const strings = { type: 'array', items: string } as const;
const ms = { type: 'integer', description: 'milliseconds since the epoch' } as const;
const milligrams = { type: 'string', pattern: '^-?[0-9]+$', description: 'milligrams, a decimal integer (it may exceed 2^53)' } as const;
const hash = { type: 'string', pattern: '^0x[0-9a-fA-F]{64}$' } as const;
const object = (required: readonly string[], properties: Record<string, unknown>, description?: string): Record<string, unknown> => ({
  type: 'object',
  required,
  properties,
  ...(description ? { description } : {}),
});

const reading = fromZod(readingSchema);
const readingProperties = reading['properties'] as Record<string, unknown>;

/** What names one window of one series (ReadingWindow, ReadingMean). */
const windowKey = {
  ts: { ...ms, description: "the window's start, ms since the epoch" },
  enterprise: string,
  outfall: string,
  device: string,
  pollutant: string,
  channel: { type: 'string', description: "a device's second instance of the code (enrolled channel); absent on the primary one" },
};

export const componentSchemas = {
  Error: object(['error'], {
    error: { type: 'string', description: 'what went wrong, in words' },
    code: { type: 'string', description: 'UNAUTHENTICATED, FORBIDDEN, ALERT_UNKNOWN, ...' },
    retryable: { type: 'boolean', description: 'the same call may succeed later (with Retry-After)' },
    details: string,
  }),
  Reading: { ...reading, description: 'a reading as the edge signed it (protocol/README.md)' },
  StoredReading: {
    type: 'object',
    required: [...(reading['required'] as string[]), 'batch'],
    properties: { ...readingProperties, batch: { type: 'integer', description: 'the settlement batch it was assigned on arrival' } },
  },
  ReadingWindow: object(['ts', 'enterprise', 'outfall', 'device', 'pollutant', 'mean', 'min', 'max', 'count'], { ...windowKey, mean: number, min: number, max: number, count: integer }),
  ReadingMean: object(['ts', 'enterprise', 'outfall', 'device', 'pollutant', 'mean'], { ...windowKey, mean: number }),
  Readings: {
    anyOf: [
      object(['readings'], { readings: { type: 'array', items: ref('StoredReading') } }, 'without every: the readings, oldest first'),
      object(['everyMs', 'windows'], { everyMs: integer, windows: { type: 'array', items: { anyOf: [ref('ReadingWindow'), ref('ReadingMean')] } } }, 'with every: per window and series (fields=mean: the mean only)'),
    ],
  },
  Loads: object(['loads'], {
    loads: {
      type: 'array',
      items: object(['from', 'to', 'enterprise', 'pollutant', 'milligrams', 'kg', 'samples', 'flaggedSamples'], {
        from: { type: 'string', format: 'date-time' },
        to: { type: 'string', format: 'date-time' },
        enterprise: string,
        pollutant: string,
        milligrams,
        kg: number,
        samples: { type: 'integer', description: 'concentration samples that entered the sum' },
        flaggedSamples: { type: 'integer', description: 'samples left out (the sum of leftOut)' },
        leftOut: { type: 'object', additionalProperties: integer, description: 'why: flag:<F>, no-flow, flow-flag:<F>, unit:<u>' },
        missingSamples: { type: 'integer', description: 'samples the devices should have sent in the window and did not' },
      }),
    },
  }),
  ReadingProof: object(['reading', 'leaf', 'proof', 'root', 'batchId', 'contract'], {
    reading: ref('Reading'),
    leaf: { ...hash, description: 'keccak256(keccak256(abi.encode(string canonicalJson))) of the reading' },
    proof: { type: 'array', items: hash, description: 'sibling hashes from the leaf up (OpenZeppelin MerkleProof order)' },
    root: hash,
    batchId: { type: 'string', pattern: '^[0-9]+$' },
    txHash: { ...hash, description: 'the transaction that anchored the batch, when known' },
    contract: { type: 'string', description: 'the EmissionLedger this server anchors to: check it against the one you trust' },
  }),
  Me: object(['role'], { role: { type: 'string', enum: ['bureau', 'enterprise', 'public'] }, enterprise: string }),
  Enterprises: object(['enterprises'], {
    enterprises: {
      type: 'array',
      items: object(['enterprise'], {
        enterprise: string,
        outfalls: { type: 'array', items: object(['outfall', 'devices'], { outfall: string, devices: strings }), description: 'not for the public' },
      }),
    },
  }),
  PermitLimit: fromZod(permitLimitSchema),
  Limits: object(['limits'], { limits: { type: 'array', items: ref('PermitLimit') } }),
  Outfalls: object(['windowMs', 'outfalls'], {
    windowMs: { type: 'integer', description: 'the status window: no reading this long is offline' },
    outfalls: {
      type: 'array',
      items: object(['enterprise', 'outfall', 'state', 'reasons', 'suspicious', 'devices', 'means', 'limits'], {
        enterprise: string,
        outfall: string,
        state: { type: 'string', enum: ['online', 'offline', 'alarm'] },
        reasons: { ...strings, description: 'what the alarm is about, or why it is offline' },
        suspicious: { ...strings, description: 'devices reported offline while their readings keep arriving' },
        devices: {
          type: 'array',
          items: object(['device', 'state', 'lastReadingAt', 'readings'], {
            device: string,
            state: { type: 'string', enum: ['online', 'offline'] },
            lastReadingAt: { type: ['integer', 'null'] },
            readings: integer,
            error: string,
            statusConflict: string,
          }),
        },
        means: { type: 'object', additionalProperties: number, description: 'mean per pollutant over the status window' },
        limits: { type: 'array', items: ref('PermitLimit') },
      }),
    },
  }),
  Alerts: object(['alerts'], {
    alerts: {
      type: 'array',
      items: object(['id', 'enterprise', 'outfall', 'kind', 'start', 'end', 'score', 'closed', 'evidenceHash', 'evidence'], {
        id: hash,
        enterprise: string,
        outfall: string,
        kind: { type: 'string', description: 'spike, bypass-dump, dilution, night-flow, flow-surge, level-shift, flatline, replay, ph-out-of-range, anomaly' },
        start: ms,
        end: ms,
        score: number,
        closed: { type: 'boolean', description: 'the incident is over: its evidence is final' },
        evidenceHash: hash,
        txHash: { ...hash, description: 'the transaction that recorded the evidence hash (AlertRegistry), once it has' },
        evidence: object(['detector', 'threshold', 'note', 'readings'], {
          detector: string,
          threshold: number,
          note: string,
          readings: {
            type: 'array',
            items: object(['ts', 'channel', 'value', 'expected'], { ts: ms, channel: string, value: number, expected: { type: ['number', 'null'] } }),
          },
        }),
      }),
    },
  }),
  Verdict: object(['alertId', 'enterprise', 'verdict', 'reasonHash', 'txHash'], {
    alertId: hash,
    enterprise: string,
    verdict: { type: 'string', enum: ['confirmed', 'dismissed'] },
    reasonHash: hash,
    txHash: hash,
  }),
  Records: object(['policy', 'records'], {
    policy: object(['start', 'perConfirmedAlert', 'windowMs', 'debtBase', 'debtScaled', 'blacklistThreshold'], {
      start: number,
      perConfirmedAlert: number,
      windowMs: number,
      debtBase: number,
      debtScaled: number,
      blacklistThreshold: number,
    }),
    records: {
      type: 'array',
      items: object(['enterprise', 'score', 'deductions', 'blacklistProposed', 'facts'], {
        enterprise: string,
        score: number,
        deductions: {
          type: 'array',
          items: object(['cause', 'points', 'note'], { cause: { type: 'string', enum: ['confirmed-alerts', 'debt', 'blacklisted'] }, pollutant: string, points: number, note: string }),
        },
        blacklistProposed: { type: 'boolean', description: 'only ever true for the bureau' },
        facts: object(['enterprise', 'confirmedAlerts', 'confirmedAlertIds', 'confirmedTotal', 'blacklisted', 'credits'], {
          enterprise: string,
          confirmedAlerts: integer,
          confirmedAlertIds: { type: 'array', items: hash },
          confirmedTotal: integer,
          blacklisted: { type: 'boolean' },
          credits: {
            type: 'array',
            items: object(['pollutant', 'balanceMilligrams', 'allocatedMilligrams'], { pollutant: string, balanceMilligrams: milligrams, allocatedMilligrams: milligrams }),
          },
        }),
      }),
    },
  }),
  Blacklisted: object(['enterprise', 'reason', 'reasonCode', 'evidenceHash', 'alertIds', 'txHash'], {
    enterprise: string,
    reason: string,
    reasonCode: integer,
    evidenceHash: hash,
    alertIds: { type: 'array', items: hash },
    txHash: hash,
  }),
  Traceability: object(['pollutant', 'event', 'ranking', 'stored'], {
    pollutant: string,
    event: object(['start', 'end'], { start: ms, end: ms }),
    ranking: {
      type: 'array',
      description: 'best first',
      items: object(['outfall', 'score', 'lagMinutes', 'correlation', 'explainedShare', 'verdict', 'explanation', 'riseFactor', 'riseZ', 'spreadMinutes', 'sourceWindow'], {
        outfall: string,
        score: number,
        lagMinutes: number,
        correlation: number,
        explainedShare: number,
        verdict: { type: 'string', enum: ['likely source', 'possible contributor', 'not explained'] },
        explanation: string,
        riseFactor: number,
        riseZ: number,
        spreadMinutes: number,
        sourceWindow: object(['start', 'end'], { start: ms, end: ms }),
        impliedVelocityMs: number,
      }),
    },
    stored: {
      type: 'array',
      description: 'the series read from the store',
      items: object(['outfall', 'ts', 'flow', 'concentration'], {
        outfall: string,
        ts: { type: 'array', items: ms },
        flow: { type: 'array', items: { type: ['number', 'null'] } },
        concentration: { type: 'array', items: { type: ['number', 'null'] } },
      }),
    },
  }),
};

const error = (description: string): object => ({ description, content: { 'application/json': { schema: ref('Error') } } });

/** The error answers the routes share, as `#/components/responses/<name>`. */
export const componentResponses = {
  BadRequest: error('a bad parameter or body, named in `error`'),
  Unauthorized: error('UNAUTHENTICATED: no bearer token where one is needed, or a token this server does not know'),
  Forbidden: error("FORBIDDEN: the caller's role may not call the route, or an enterprise asked for another enterprise's data"),
};
