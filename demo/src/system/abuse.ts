/**
 * Abuse, while readings flow: messages no ingester may store, and chain
 * calls no key without the role may make. Each must be refused, counted
 * (the ingesters' /status counters) and logged with its reason; the audit
 * afterwards shows none of it reached the figures.
 */
import { connectAsync } from 'mqtt';
import type { Logger } from 'pino';
import { createBureauClient } from '@qingliu/cloud/chain/bureau-client';
import { createEvmLedger } from '@qingliu/cloud/chain/evm-ledger';
import { loadOrCreateDeviceKey } from '@qingliu/edge';
import { ALL_READINGS_TOPIC, BATCH_VERSION, generateDeviceKeyPair, isQingliuError, readingsTopic, signBatch } from '@qingliu/protocol';
import type { QingliuErrorCode, Reading, UnsignedBatch } from '@qingliu/protocol';
import { sleep } from '@qingliu/testkit';
import type { Cluster } from './cluster.js';

export interface AbuseRow {
  attack: string;
  sent: number;
  /** The reason it should be refused with: an ingester code or a contract error. */
  reason: string;
  /** Refusals counted by the system (ingester counters; for the chain, reverts seen). */
  counted: number;
  /** Refusals logged with that reason. */
  logged: number;
  ok: boolean;
}

/** Far beyond any sequence number the devices will reach in a run: if one were stored, the audit would see it. */
const FORGED_SEQ = 2 ** 40;

type Rejected = Partial<Record<QingliuErrorCode, number>>;

async function rejectedCounters(cluster: Cluster): Promise<Rejected> {
  const total: Rejected = {};
  for (const ingester of cluster.ingesters) {
    const status = (await (await fetch(`${ingester.url()}/status`, { signal: AbortSignal.timeout(10_000) })).json()) as { ingest: { rejected: Rejected } };
    for (const [code, n] of Object.entries(status.ingest.rejected) as [QingliuErrorCode, number][]) total[code] = (total[code] ?? 0) + n;
  }
  return total;
}

/** Messages that are not batches: junk bytes, JSON of the wrong shape, a real batch cut short, wrong types. */
function malformedPayload(i: number, sample: string): string | Buffer {
  switch (i % 5) {
    case 0:
      return Buffer.from(Array.from({ length: 1 + (i % 97) }, (_, k) => (i * 31 + k * 7) % 256));
    case 1:
      return JSON.stringify({ v: BATCH_VERSION, note: `junk ${i}` });
    case 2:
      return sample.slice(0, 1 + (i % Math.max(1, sample.length - 1)));
    case 3:
      return JSON.stringify({ ...JSON.parse(sample), readings: `not a list ${i}` });
    default:
      return JSON.stringify([i, null, 'x']);
  }
}

export async function runAbuse(cluster: Cluster, logger: Logger): Promise<AbuseRow[]> {
  const client = await connectAsync(cluster.mosquitto.url, {
    clientId: 'abuser',
    username: cluster.abuser.username,
    password: cluster.abuser.password,
    reconnectPeriod: 0,
  });
  try {
    // A genuine batch off the wire, to replay later.
    const captured = new Promise<{ topic: string; payload: Buffer }>((resolve) =>
      client.once('message', (topic, payload) => resolve({ topic, payload: Buffer.from(payload) })),
    );
    await client.subscribeAsync(ALL_READINGS_TOPIC, { qos: 0 });
    const real = await Promise.race([captured, sleep(30_000).then(() => undefined)]);
    await client.unsubscribeAsync(ALL_READINGS_TOPIC);
    if (!real) throw new Error('abuse: no batch seen on the broker within 30 s');
    await sleep(3_000); // stored by now: the replay is a replay

    const [victim, other] = cluster.devices.filter((d) => d.enterprise === cluster.devices[0]!.enterprise);
    const agent = cluster.agents.find((a) => a.enterprise === victim!.enterprise)!;
    const victimKey = await loadOrCreateDeviceKey(agent.config.keyDir, victim!.device);
    const readings = (seq: number): Reading[] => [
      { enterprise: victim!.enterprise, outfall: victim!.outfall, device: victim!.device, pollutant: 'w01018', value: 12.5, unit: 'mg/L', ts: Date.now(), seq, flag: 'N' },
    ];
    const unsigned = (seq: number): UnsignedBatch => ({ v: BATCH_VERSION, enterprise: victim!.enterprise, device: victim!.device, readings: readings(seq) });

    const before = await rejectedCounters(cluster);
    const loggedBefore = new Map(cluster.rejectionsLogged);
    const attacks: { attack: string; reason: QingliuErrorCode; sent: number }[] = [];

    // A device's genuine signature, on another device's topic.
    await client.publishAsync(readingsTopic(victim!.enterprise, other!.device), JSON.stringify(signBatch(unsigned(FORGED_SEQ), victimKey.privateKey)), { qos: 1 });
    attacks.push({ attack: `${victim!.device} publishing on ${other!.device}'s topic`, reason: 'TOPIC_MISMATCH', sent: 1 });
    // A batch for a device, signed with a key that is not its own.
    await client.publishAsync(readingsTopic(victim!.enterprise, victim!.device), JSON.stringify(signBatch(unsigned(FORGED_SEQ + 1), generateDeviceKeyPair().privateKeyPem)), { qos: 1 });
    attacks.push({ attack: 'forged signature', reason: 'SIGNATURE_INVALID', sent: 1 });
    // A genuine batch sent again.
    await client.publishAsync(real.topic, real.payload, { qos: 1 });
    attacks.push({ attack: 'replayed batch', reason: 'DUPLICATE', sent: 1 });
    // Malformed messages, 500 in flight at a time.
    const sample = real.payload.toString('utf8');
    const n = cluster.options.malformed;
    for (let i = 0; i < n; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, n - i) }, (_, k) =>
          client.publishAsync(readingsTopic(victim!.enterprise, victim!.device), malformedPayload(i + k, sample), { qos: 1 }),
        ),
      );
    }
    attacks.push({ attack: 'malformed messages', reason: 'SCHEMA_INVALID', sent: n });

    // Every one refused, counted and logged by the ingesters (bounded wait: the log lines come through a pipe, after the counters).
    const expected = (code: QingliuErrorCode): number => attacks.filter((a) => a.reason === code).reduce((s, a) => s + a.sent, 0);
    const logged = (code: QingliuErrorCode): number => (cluster.rejectionsLogged.get(code) ?? 0) - (loggedBefore.get(code) ?? 0);
    let after = before;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      after = await rejectedCounters(cluster);
      if (attacks.every((a) => (after[a.reason] ?? 0) - (before[a.reason] ?? 0) >= expected(a.reason) && logged(a.reason) >= expected(a.reason))) break;
      await sleep(500);
    }
    const rows: AbuseRow[] = attacks.map(({ attack, reason, sent }) => {
      const counted = (after[reason] ?? 0) - (before[reason] ?? 0);
      // Two attacks never share a reason here, so each count is the attack's own (a redelivery could add a DUPLICATE).
      return { attack, sent, reason, counted, logged: logged(reason), ok: counted >= sent && logged(reason) >= sent };
    });
    rows.push(...(await chainAbuse(cluster, logger)));
    return rows;
  } finally {
    await client.endAsync(true);
  }
}

/** A key without the bureau's role allocating, keys without the oracle's role settling: each must revert. */
async function chainAbuse(cluster: Cluster, logger: Logger): Promise<AbuseRow[]> {
  const enterprise = cluster.enterprises[0]!;
  const attempts: { attack: string; call: () => Promise<unknown> }[] = [
    {
      attack: 'allocation by a non-bureau key',
      call: async () => {
        const client = await createBureauClient({ rpcUrl: cluster.anvil.rpcUrl, privateKey: cluster.keys.stranger, address: cluster.ledgerAddress });
        try {
          return await client.allocate(enterprise, 'w01018', 10n ** 15n);
        } finally {
          await client.close();
        }
      },
    },
    ...(['stranger', 'bureau'] as const).map((who) => ({
      attack: `settlement by a non-oracle key (${who})`,
      call: async () => {
        const ledger = await createEvmLedger({ rpcUrl: cluster.anvil.rpcUrl, privateKey: cluster.keys[who], address: cluster.ledgerAddress });
        try {
          // Batch 1 (1970): never a real period, so a settlement that got through would show as an unexpected batch.
          return await ledger.settle({ batchId: 1n, root: `0x${'11'.repeat(32)}`, readingCount: 1, loads: [{ enterprise, pollutant: 'w01018', milligrams: 10n ** 12n }] });
        } finally {
          await ledger.close();
        }
      },
    })),
  ];
  const rows: AbuseRow[] = [];
  for (const { attack, call } of attempts) {
    let reason = 'accepted';
    try {
      await call();
    } catch (error) {
      reason = isQingliuError(error) ? `${error.code}: ${error.details ?? error.shortMessage}` : String(error);
    }
    const refused = /AccessControlUnauthorizedAccount/.test(reason);
    logger.warn({ attack, reason }, refused ? 'chain call refused' : 'chain call NOT refused');
    rows.push({ attack, sent: 1, reason: refused ? 'AccessControlUnauthorizedAccount' : reason.slice(0, 80), counted: refused ? 1 : 0, logged: refused ? 1 : 0, ok: refused });
  }
  return rows;
}
