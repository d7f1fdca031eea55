/**
 * The EVM AlertLedger adapter against a real anvil node: the oracle records alerts once, the
 * bureau confirms or dismisses them, the counts follow; resent transactions and a lost chain.
 */
import { Wallet, hexlify, keccak256, randomBytes, toUtf8Bytes } from 'ethers';
import { enterpriseKey, idKey } from '@qingliu/contracts';
import { rejection, startAnvil } from '@qingliu/testkit';
import type { AnvilServer } from '@qingliu/testkit';
import type { AlertLedger, AlertRecord } from '../ports/alert-ledger.js';
import { createBureauClient } from './bureau-client.js';
import type { BureauClient } from './bureau-client.js';
import { deployAlertRegistry, deployEmissionLedger } from './deploy.js';
import { createEvmAlertLedger } from './evm-alert-ledger.js';

let anvil: AnvilServer;
let address: string;
let bureau: BureauClient;
let ledger: AlertLedger;
let oracleAddress: string;

beforeAll(async () => {
  try {
    anvil = await startAnvil();
  } catch (error) {
    throw new Error(`anvil could not start, so the EVM alert ledger tests cannot run: ${String(error)}`, { cause: error });
  }
  const [adminKey, bureauKey, oracleKey] = anvil.accounts as [string, string, string];
  oracleAddress = new Wallet(oracleKey).address;
  const roles = { rpcUrl: anvil.rpcUrl, deployerKey: adminKey, bureau: new Wallet(bureauKey).address, oracle: oracleAddress };
  ({ address } = await deployAlertRegistry(roles));
  const emissionLedger = await deployEmissionLedger(roles);
  bureau = await createBureauClient({ rpcUrl: anvil.rpcUrl, privateKey: bureauKey, address: emissionLedger.address, alertRegistry: address });
  ledger = await createEvmAlertLedger({ rpcUrl: anvil.rpcUrl, privateKey: oracleKey, address });
});

afterAll(async () => {
  await ledger?.close();
  await bureau?.close();
  await anvil?.stop();
});

const hash32 = (): string => hexlify(randomBytes(32));

function alert(fields: Partial<AlertRecord> = {}): AlertRecord {
  return {
    alertId: hash32(),
    evidenceHash: hash32(),
    enterprise: 'ent-acme',
    outfall: 'ent-acme-out-1',
    kind: 'dilution',
    start: 1_760_000_000_123,
    end: 1_760_000_900_456,
    ...fields,
  };
}

/** A raw JSON-RPC call to anvil (its test methods: evm_setAutomine, evm_mine, anvil_dropTransaction). */
async function anvilRpc(method: string, params: unknown[] = []): Promise<unknown> {
  const response = await fetch(anvil.rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

const sentBy = async (account: string): Promise<number> => Number(await anvilRpc('eth_getTransactionCount', [account, 'latest']));

async function untilPending(count: number): Promise<void> {
  for (let i = 0; Number(((await anvilRpc('txpool_status')) as { pending: string }).pending) < count; i++) {
    if (i > 250) throw new Error(`fewer than ${count} transactions reached the pool`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('createEvmAlertLedger', () => {
  test('records an alert, reads it back pending, and the same record again is alreadyRecorded with no new transaction', async () => {
    const a = alert();
    expect(await ledger.get(a.alertId)).toBeUndefined();

    const first = await ledger.record(a);
    expect(first).toEqual({ ...a, txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/), alreadyRecorded: false });
    expect(await ledger.get(a.alertId)).toEqual({ ...a, verdict: 'pending' });

    const sent = await sentBy(oracleAddress);
    const block = await anvilRpc('eth_blockNumber');
    const again = await ledger.record(a);
    expect(again).toEqual({ ...a, txHash: first.txHash, alreadyRecorded: true });
    expect(await sentBy(oracleAddress)).toBe(sent);
    expect(await anvilRpc('eth_blockNumber')).toBe(block);
  });

  test('the same alert id with any other field is refused by name, not retryable, and the chain keeps the first', async () => {
    const a = alert();
    await ledger.record(a);
    for (const change of [{ evidenceHash: hash32() }, { enterprise: 'ent-beta' }, { outfall: 'o-2' }, { kind: 'spike' }, { start: a.start - 1 }, { end: a.end + 1 }]) {
      const error = await rejection(ledger.record({ ...a, ...change }));
      expect(error).toMatchObject({ code: 'CHAIN_REVERTED', retryable: false, details: `AlertRegistryConflictingRecord(${a.alertId})` });
    }
    expect(await ledger.get(a.alertId)).toEqual({ ...a, verdict: 'pending' });
  });

  test('two concurrent records of one alert send one transaction', async () => {
    const a = alert();
    const sent = await sentBy(oracleAddress);
    const results = await Promise.all([ledger.record(a), ledger.record(a)]);
    expect(results.map((r) => r.alreadyRecorded).sort()).toEqual([false, true]);
    expect(results[0]!.txHash).toBe(results[1]!.txHash);
    expect(await sentBy(oracleAddress)).toBe(sent + 1);
  });

  test('the bureau confirms and dismisses alerts once; confirmedCount counts the confirmed ones of each enterprise', async () => {
    const enterprise = 'ent-counted';
    const [one, two, three] = [alert({ enterprise }), alert({ enterprise }), alert({ enterprise })];
    for (const a of [one, two, three]) await ledger.record(a);
    expect(await ledger.confirmedCount(enterprise)).toBe(0);

    await bureau.confirmAlert(one.alertId, keccak256(toUtf8Bytes('inspection 2026-031')));
    await bureau.dismissAlert(two.alertId, keccak256(toUtf8Bytes('calibration log 2026-032')));

    expect(await ledger.confirmedCount(enterprise)).toBe(1);
    expect((await ledger.get(one.alertId))?.verdict).toBe('confirmed');
    expect((await ledger.get(two.alertId))?.verdict).toBe('dismissed');
    expect((await ledger.get(three.alertId))?.verdict).toBe('pending');
    const twice = await rejection(bureau.confirmAlert(one.alertId, hash32()));
    expect(twice).toMatchObject({ code: 'CHAIN_REVERTED', retryable: false });
    expect(twice.details).toMatch(/^AlertRegistryAlreadyDecided\(/);
    expect(await rejection(bureau.dismissAlert('0x1234', hash32()))).toMatchObject({ code: 'SCHEMA_INVALID' });
    // Recording a decided alert again is still a no-op, and leaves its verdict.
    expect((await ledger.record(one)).alreadyRecorded).toBe(true);
    expect(await ledger.confirmedCount(enterprise)).toBe(1);
    expect(await ledger.confirmedCount('ent-never-alerted')).toBe(0);
  });

  test('another process reads the alert and its recording transaction; it names the ids it was told of', async () => {
    const a = alert({ enterprise: 'ent-far', outfall: 'ent-far-out-9', kind: 'night-flow' });
    const first = await ledger.record(a);
    const told = await createEvmAlertLedger({ rpcUrl: anvil.rpcUrl, privateKey: anvil.accounts[2]!, address, knownIds: ['ent-far', 'ent-far-out-9'] });
    const untold = await createEvmAlertLedger({ rpcUrl: anvil.rpcUrl, privateKey: anvil.accounts[2]!, address });
    try {
      expect(await told.get(a.alertId)).toEqual({ ...a, verdict: 'pending' });
      // The chain holds only the keccak256 of ids; the kinds are known to every adapter.
      expect(await untold.get(a.alertId)).toEqual({ ...a, enterprise: enterpriseKey('ent-far'), outfall: idKey('ent-far-out-9'), verdict: 'pending' });
      expect(await untold.record(a)).toEqual({ ...a, txHash: first.txHash, alreadyRecorded: true });
    } finally {
      await told.close();
      await untold.close();
    }
  });

  test('a record whose transaction was lost is resent after a restart: recorded once, never failing', async () => {
    // An oracle of its own, so the processes below do not put the shared adapter's nonces out of step.
    const oracleKey = anvil.accounts[4]!;
    const roles = { rpcUrl: anvil.rpcUrl, deployerKey: anvil.accounts[0]!, bureau: new Wallet(anvil.accounts[1]!).address };
    const registry = (await deployAlertRegistry({ ...roles, oracle: new Wallet(oracleKey).address })).address;
    const start = (receiptTimeoutMs?: number) =>
      createEvmAlertLedger({ rpcUrl: anvil.rpcUrl, privateKey: oracleKey, address: registry, ...(receiptTimeoutMs ? { receiptTimeoutMs } : {}) });
    const delayed = alert();
    const dropped = alert();
    await anvilRpc('evm_setAutomine', [false]);
    try {
      // 1. The first transaction waits in the pool past the receipt timeout; the process gives up.
      const crashed = await start(200);
      const lost = await rejection(crashed.record(delayed));
      await crashed.close();
      expect(lost).toMatchObject({ code: 'CHAIN_UNAVAILABLE', retryable: true });
      const firstTx = lost.details;
      // The restarted process sends it again; both are mined, the first records, the second is a no-op.
      const restarted = await start();
      const resent = restarted.record(delayed);
      await untilPending(2);
      await anvilRpc('evm_mine');
      expect(await resent).toEqual({ ...delayed, txHash: firstTx, alreadyRecorded: true });

      // 2. The first transaction is dropped from the pool: the resend records the alert.
      const crashed2 = await start(200);
      const lost2 = await rejection(crashed2.record(dropped));
      await crashed2.close();
      await anvilRpc('anvil_dropTransaction', [lost2.details]);
      expect(await anvilRpc('eth_getTransactionByHash', [lost2.details])).toBeNull();
      await anvilRpc('evm_setAutomine', [true]);
      const recorded = await restarted.record(dropped);
      expect(recorded).toEqual({ ...dropped, txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/), alreadyRecorded: false });
      expect(await restarted.get(dropped.alertId)).toEqual({ ...dropped, verdict: 'pending' });
      await restarted.close();
    } finally {
      await anvilRpc('evm_setAutomine', [true]);
    }
  });

  test('a malformed alert is rejected before anything is sent', async () => {
    const sent = await sentBy(oracleAddress);
    for (const bad of [alert({ alertId: '0x12' }), alert({ evidenceHash: `0x${'0'.repeat(64)}` }), alert({ outfall: '' }), alert({ start: 5, end: 4 }), alert({ start: 1.5 })]) {
      expect(await rejection(ledger.record(bad))).toMatchObject({ code: 'SCHEMA_INVALID', retryable: false });
    }
    expect(await rejection(ledger.get('not-an-id'))).toMatchObject({ code: 'SCHEMA_INVALID' });
    expect(await sentBy(oracleAddress)).toBe(sent);
  });

  test('a key without ORACLE_ROLE is refused: CHAIN_REVERTED, not retryable, naming the custom error', async () => {
    const stranger = await createEvmAlertLedger({ rpcUrl: anvil.rpcUrl, privateKey: anvil.accounts[3]!, address });
    try {
      const a = alert();
      const error = await rejection(stranger.record(a));
      expect(error).toMatchObject({ code: 'CHAIN_REVERTED', retryable: false });
      expect(error.details).toMatch(/^AccessControlUnauthorizedAccount\(/);
      expect(await ledger.get(a.alertId)).toBeUndefined();
    } finally {
      await stranger.close();
    }
  });

  test('no contract at the address given fails at start with CONFIG_INVALID', async () => {
    const error = await rejection(createEvmAlertLedger({ rpcUrl: anvil.rpcUrl, privateKey: anvil.accounts[2]!, address: Wallet.createRandom().address }));
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
  });

  // Last: it stops anvil.
  test('when the chain goes away, record, get and confirmedCount reject with CHAIN_UNAVAILABLE, retryable, within 5 s', async () => {
    await anvil.stop();
    const started = Date.now();
    const a = alert();
    for (const call of [() => ledger.record(a), () => ledger.get(a.alertId), () => ledger.confirmedCount('ent-acme')]) {
      expect(await rejection(call())).toMatchObject({ code: 'CHAIN_UNAVAILABLE', retryable: true });
    }
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
