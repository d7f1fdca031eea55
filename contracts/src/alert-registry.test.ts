/** AlertRegistry on a real anvil node: alerts recorded once by the oracle, one verdict each by the bureau, counts. */
import { ZeroHash } from 'ethers';
import type { Contract } from 'ethers';
import { idKey } from './index.js';
import { as, eventsOf, latestTimestamp, revertOf, send, useTestChain } from './testing/chain-fixture.js';
import type { TestChain } from './testing/chain-fixture.js';
import { ACME, BETA, OUT1, bytes32, deployAlertRegistry } from './testing/contracts.js';

const PENDING = 1n;
const CONFIRMED = 2n;
const DISMISSED = 3n;
const DILUTION = idKey('dilution');

let chain: TestChain;
let alerts: Contract;

useTestChain((started) => {
  chain = started;
});

beforeEach(async () => {
  alerts = await deployAlertRegistry(chain);
});

/** The arguments of `record`, in order, with fresh ids and hashes unless given. */
function alertArgs(fields: Partial<Record<'alertId' | 'evidenceHash' | 'enterprise' | 'outfall' | 'kind', string>> & { start?: bigint; end?: bigint } = {}): unknown[] {
  return [
    fields.alertId ?? bytes32(),
    fields.evidenceHash ?? bytes32(),
    fields.enterprise ?? ACME,
    fields.outfall ?? OUT1,
    fields.kind ?? DILUTION,
    fields.start ?? 1_760_000_000_000n,
    fields.end ?? 1_760_000_900_000n,
  ];
}

const record = (args: unknown[]) => send(chain, alerts, chain.signers.oracle, 'record', ...args);
const decide = (fn: 'confirm' | 'dismiss', alertId: string, reason: string = bytes32()) =>
  send(chain, alerts, chain.signers.bureau, fn, alertId, reason);
const oracle = () => as(alerts, chain.signers.oracle);
const bureau = () => as(alerts, chain.signers.bureau);

describe('AlertRegistry', () => {
  test('the oracle records an alert, pending, with an event carrying every field; anyone reads it back', async () => {
    const args = alertArgs();
    const [alertId, evidenceHash, enterprise, outfall, kind, start, end] = args;
    expect(await oracle().getFunction('record').staticCall(...args)).toBe(true);

    const receipt = await record(args);

    expect(eventsOf(alerts, receipt, 'AlertRecorded').map((e) => e.args.toArray())).toEqual([
      [alertId, enterprise, outfall, kind, evidenceHash, start, end],
    ]);
    const alert = await alerts.getFunction('alertOf')(alertId);
    expect(alert.toObject()).toEqual({ evidenceHash, enterprise, outfall, kind, start, end, verdict: PENDING, decidedAt: 0n, reasonHash: ZeroHash });
    expect(await alerts.getFunction('verdictOf')(alertId)).toBe(PENDING);
    expect(await alerts.getFunction('verdictOf')(bytes32())).toBe(0n); // never recorded: None
  });

  test('recording the same alert again changes nothing and emits nothing, also after its verdict', async () => {
    const args = alertArgs();
    const alertId = args[0] as string;
    await record(args);
    expect(await oracle().getFunction('record').staticCall(...args)).toBe(false);

    const again = await record(args);
    expect(again.status).toBe(1);
    expect(again.logs).toEqual([]);

    const reason = bytes32();
    await decide('confirm', alertId, reason);
    const afterVerdict = await record(args);
    expect(afterVerdict.logs).toEqual([]);
    const alert = await alerts.getFunction('alertOf')(alertId);
    expect([alert.verdict, alert.reasonHash]).toEqual([CONFIRMED, reason]);
    expect(await alerts.getFunction('confirmedCount')(ACME)).toBe(1n);
  });

  test('recording an alert id again with any field changed is refused by name', async () => {
    const alertId = bytes32();
    const evidenceHash = bytes32();
    const start = 1_000n;
    const end = 2_000n;
    await record(alertArgs({ alertId, evidenceHash, start, end }));
    const changes = [
      { evidenceHash: bytes32() },
      { enterprise: BETA },
      { outfall: idKey('ent-acme-out-2') },
      { kind: idKey('spike') },
      { start: 999n },
      { end: 2_001n },
    ];
    for (const change of changes) {
      const args = alertArgs({ alertId, evidenceHash, start, end, ...change });
      expect(await revertOf(oracle().getFunction('record').staticCall(...args), 'AlertRegistryConflictingRecord')).toEqual([alertId]);
    }
  });

  test('a zero id or hash and a window that ends before it starts are refused; a one-instant window is not', async () => {
    for (const field of ['alertId', 'evidenceHash', 'enterprise', 'outfall', 'kind'] as const) {
      await revertOf(oracle().getFunction('record').staticCall(...alertArgs({ [field]: ZeroHash })), 'AlertRegistryMissingField');
    }
    const alertId = bytes32();
    expect(await revertOf(oracle().getFunction('record').staticCall(...alertArgs({ alertId, start: 5n, end: 4n })), 'AlertRegistryInvalidWindow')).toEqual([
      alertId,
      5n,
      4n,
    ]);
    expect(await oracle().getFunction('record').staticCall(...alertArgs({ start: 5n, end: 5n }))).toBe(true);
  });

  test('the bureau confirms a pending alert once, with its reason and time; it counts for the enterprise', async () => {
    const args = alertArgs();
    const alertId = args[0] as string;
    await record(args);
    const reason = bytes32();

    const receipt = await decide('confirm', alertId, reason);

    expect(eventsOf(alerts, receipt, 'AlertConfirmed').map((e) => e.args.toArray())).toEqual([[alertId, ACME, reason, chain.addresses.bureau]]);
    const alert = await alerts.getFunction('alertOf')(alertId);
    expect([alert.verdict, alert.reasonHash, alert.decidedAt]).toEqual([CONFIRMED, reason, BigInt(await latestTimestamp(chain))]);
    expect(await alerts.getFunction('confirmedCount')(ACME)).toBe(1n);
    for (const fn of ['confirm', 'dismiss']) {
      expect(await revertOf(bureau().getFunction(fn).staticCall(alertId, bytes32()), 'AlertRegistryAlreadyDecided')).toEqual([alertId, CONFIRMED]);
    }
  });

  test('the bureau dismisses a pending alert once; it does not count, and cannot be confirmed afterwards', async () => {
    const args = alertArgs();
    const alertId = args[0] as string;
    await record(args);
    const reason = bytes32();

    const receipt = await decide('dismiss', alertId, reason);

    expect(eventsOf(alerts, receipt, 'AlertDismissed').map((e) => e.args.toArray())).toEqual([[alertId, ACME, reason, chain.addresses.bureau]]);
    expect(await alerts.getFunction('verdictOf')(alertId)).toBe(DISMISSED);
    expect(await alerts.getFunction('confirmedCount')(ACME)).toBe(0n);
    for (const fn of ['confirm', 'dismiss']) {
      expect(await revertOf(bureau().getFunction(fn).staticCall(alertId, bytes32()), 'AlertRegistryAlreadyDecided')).toEqual([alertId, DISMISSED]);
    }
  });

  test('a verdict on an unknown alert, or without a reason hash, is refused', async () => {
    const unknown = bytes32();
    for (const fn of ['confirm', 'dismiss']) {
      expect(await revertOf(bureau().getFunction(fn).staticCall(unknown, bytes32()), 'AlertRegistryUnknownAlert')).toEqual([unknown]);
    }
    const args = alertArgs();
    await record(args);
    for (const fn of ['confirm', 'dismiss']) {
      expect(await revertOf(bureau().getFunction(fn).staticCall(args[0], ZeroHash), 'AlertRegistryMissingReason')).toEqual([args[0]]);
    }
  });

  test('confirmedCount counts each enterprise\'s confirmed alerts only', async () => {
    const ids = { acme1: bytes32(), acme2: bytes32(), acme3: bytes32(), beta1: bytes32() };
    await record(alertArgs({ alertId: ids.acme1 }));
    await record(alertArgs({ alertId: ids.acme2 }));
    await record(alertArgs({ alertId: ids.acme3 }));
    await record(alertArgs({ alertId: ids.beta1, enterprise: BETA, outfall: idKey('ent-beta-out-1') }));

    await decide('confirm', ids.acme1);
    await decide('dismiss', ids.acme2);
    await decide('confirm', ids.beta1);
    await decide('confirm', ids.acme3);

    expect(await alerts.getFunction('confirmedCount')(ACME)).toBe(2n);
    expect(await alerts.getFunction('confirmedCount')(BETA)).toBe(1n);
    expect(await alerts.getFunction('confirmedCount')(idKey('ent-nobody'))).toBe(0n);
  });
});
