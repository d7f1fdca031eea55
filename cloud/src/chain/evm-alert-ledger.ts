import { Contract, isAddress } from 'ethers';
import type { EventLog, TransactionReceipt } from 'ethers';
import type { Logger } from 'pino';
import { ALERT_REGISTRY_ABI, ALERT_VERDICTS, enterpriseKey, idKey } from '@qingliu/contracts';
import { QingliuError } from '@qingliu/protocol';
import type { AlertKind } from '@qingliu/analytics';
import type { AlertLedger, AlertRecord, AlertVerdict, RecordedAlert } from '../ports/alert-ledger.js';
import { toChainError } from './chain-errors.js';
import { connectRpc } from './rpc.js';
import type { RpcOptions } from './rpc.js';

export interface CreateEvmAlertLedgerParameters extends RpcOptions {
  rpcUrl: string;
  /** Private key of the oracle account (it must hold ORACLE_ROLE on the AlertRegistry): the cloud's settlement key. */
  privateKey: string;
  /** Address of the deployed AlertRegistry contract. */
  address: string;
  /** The block the registry was deployed in (`deployAlertRegistry` returns it): event look-ups start there. Default 0. */
  fromBlock?: number;
  /**
   * Enterprise and outfall ids this cloud knows (its device registry's), so that `get` can name
   * them in alerts another process recorded. The chain holds only their keccak256; alert kinds,
   * and whatever this adapter recorded itself, are known without this.
   */
  knownIds?: Iterable<string>;
  logger?: Logger;
}

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;
const ZERO = /^0x0{64}$/;
const CONFLICT = 'AlertRegistryConflictingRecord';

/** Every AlertKind, so `get` names the kind of any alert (the chain holds its keccak256); checked complete by the compiler. */
const ALERT_KINDS = Object.keys({
  spike: 0,
  'bypass-dump': 0,
  dilution: 0,
  'night-flow': 0,
  'flow-surge': 0,
  'level-shift': 0,
  flatline: 0,
  replay: 0,
  'ph-out-of-range': 0,
  anomaly: 0,
} satisfies Record<AlertKind, 0>);

/** An alert as IAlertRegistry.alertOf returns it. */
interface ChainAlert {
  evidenceHash: string;
  enterprise: string;
  outfall: string;
  kind: string;
  start: bigint;
  end: bigint;
  verdict: bigint;
}

/** The bytes32 fields of an alert as the contract takes them. */
interface AlertKeys {
  enterprise: string;
  outfall: string;
  kind: string;
}

/**
 * The AlertLedger port on an EVM chain holding an AlertRegistry contract (anvil locally; any
 * node with a web3 JSON-RPC), with the oracle's key. Resolves once the node answers and a
 * contract is found at `address`.
 *
 * On chain, the enterprise is `enterpriseKey(id)` and the outfall and kind `idKey(id)`
 * (keccak256 of the UTF-8 id, like the other contracts); `start` and `end` are stored in Unix
 * milliseconds, as given. `get` names the enterprise, outfall and kind from what this adapter
 * recorded, the AlertKinds and `knownIds`; an id it cannot name comes back as its 0x key.
 *
 * Idempotent: an alert the chain holds already with the same fields is `alreadyRecorded` and
 * nothing is sent; a resent transaction (after a lost receipt, a timeout, a restart) that is
 * mined after the first is a no-op in the contract and is also reported `alreadyRecorded`.
 * `txHash` of an already recorded alert is the transaction that recorded it, looked up from its
 * `AlertRecorded` event (best effort; `undefined` when the node refuses the log query). The
 * same id with other fields is refused: CHAIN_REVERTED, not retryable, details
 * `AlertRegistryConflictingRecord(alertId)`.
 *
 * Errors: an unreachable node rejects with CHAIN_UNAVAILABLE (retryable); a revert with
 * CHAIN_REVERTED naming the custom error; a malformed alert with SCHEMA_INVALID before anything is sent.
 */
export async function createEvmAlertLedger(params: CreateEvmAlertLedgerParameters): Promise<AlertLedger> {
  const { rpcUrl, privateKey, address, fromBlock = 0, knownIds = [], logger, ...rpcOptions } = params;
  if (!isAddress(address)) {
    throw new QingliuError('CONFIG_INVALID', 'the alert registry address is not an address', { details: address });
  }
  const rpc = await connectRpc(rpcUrl, privateKey, rpcOptions);
  const { provider, signer } = rpc;
  try {
    const code = await provider.getCode(address);
    if (code === '0x') throw new QingliuError('CONFIG_INVALID', `no contract at ${address} on ${rpcUrl}`);
  } catch (error) {
    provider.destroy();
    throw toChainError(error, 'cannot check the alert registry contract');
  }
  const contract = new Contract(address, ALERT_REGISTRY_ABI, signer);
  const log = logger?.child({ component: 'evm-alert-ledger', address });

  /** keccak256 key -> the id it hashes (enterpriseKey and idKey are the same keccak256 of the UTF-8 id). */
  const names = new Map<string, string>();
  const learn = (id: string): string => {
    const key = idKey(id);
    names.set(key, id);
    return key;
  };
  for (const id of [...ALERT_KINDS, ...knownIds]) if (id.length > 0) learn(id);
  const nameOf = (key: string): string => names.get(key.toLowerCase()) ?? key;

  /** Transactions that recorded alerts, by alert id (lower case); bounded, oldest dropped first. */
  const recordingTxs = new Map<string, string>();
  const rememberTx = (alertId: string, txHash: string): void => {
    recordingTxs.set(alertId, txHash);
    if (recordingTxs.size > 1_024) recordingTxs.delete(recordingTxs.keys().next().value!);
  };
  /** record() calls in progress, by alert id: a second call for the same id waits for the first. */
  const inFlight = new Map<string, Promise<unknown>>();

  async function readAlert(alertId: string): Promise<ChainAlert | undefined> {
    let alert: ChainAlert;
    try {
      alert = ((await contract.getFunction('alertOf').staticCall(alertId)) as { toObject(): ChainAlert }).toObject();
    } catch (error) {
      throw toChainError(error, `cannot read alert ${alertId}`, contract.interface);
    }
    return ZERO.test(alert.evidenceHash) ? undefined : alert;
  }

  /** Best effort: the transaction that emitted AlertRecorded for this id. */
  async function findRecordingTx(alertId: string): Promise<string | undefined> {
    const cached = recordingTxs.get(alertId);
    if (cached) return cached;
    try {
      const events = await contract.queryFilter(contract.getEvent('AlertRecorded')(alertId), fromBlock, 'latest');
      const txHash = events.find((e): e is EventLog => 'args' in e)?.transactionHash;
      if (txHash) rememberTx(alertId, txHash);
      return txHash;
    } catch (error) {
      log?.debug({ err: error, alertId }, 'could not look up the recording transaction');
      return undefined;
    }
  }

  /** Throws when the chain holds the alert with other fields than these. */
  function checkSame(alert: AlertRecord, keys: AlertKeys, onChain: ChainAlert): void {
    const same =
      onChain.evidenceHash.toLowerCase() === alert.evidenceHash.toLowerCase() &&
      onChain.enterprise === keys.enterprise &&
      onChain.outfall === keys.outfall &&
      onChain.kind === keys.kind &&
      onChain.start === BigInt(alert.start) &&
      onChain.end === BigInt(alert.end);
    if (!same) {
      throw new QingliuError('CHAIN_REVERTED', `cannot record alert ${alert.alertId}: the chain holds it with other fields`, {
        details: `${CONFLICT}(${alert.alertId.toLowerCase()})`,
      });
    }
  }

  async function alreadyRecorded(alert: AlertRecord): Promise<RecordedAlert> {
    const txHash = await findRecordingTx(alert.alertId.toLowerCase());
    log?.info({ alertId: alert.alertId, txHash }, 'alert already recorded; nothing written');
    return { ...alert, txHash, alreadyRecorded: true };
  }

  async function send(alert: AlertRecord, keys: AlertKeys): Promise<RecordedAlert> {
    const alertId = alert.alertId.toLowerCase();
    const onChain = await readAlert(alertId);
    if (onChain) {
      checkSame(alert, keys, onChain);
      return alreadyRecorded(alert);
    }

    const started = Date.now();
    let txHash: string;
    try {
      const tx = await contract.getFunction('record')(
        alertId,
        alert.evidenceHash,
        keys.enterprise,
        keys.outfall,
        keys.kind,
        alert.start,
        alert.end,
      );
      txHash = (tx as { hash: string }).hash;
    } catch (error) {
      signer.reset();
      throw toChainError(error, `cannot record alert ${alertId}`, contract.interface);
    }

    let receipt: TransactionReceipt;
    try {
      receipt = await rpc.waitForReceipt(txHash);
    } catch (error) {
      signer.reset();
      throw error;
    }
    if (receipt.status !== 1) {
      // Mined but reverted: if the alert is there now, with our fields, someone raced us.
      const now = await readAlert(alertId);
      if (now) {
        checkSame(alert, keys, now);
        return alreadyRecorded(alert);
      }
      throw new QingliuError('CHAIN_REVERTED', `recording alert ${alertId} reverted on chain`, { details: txHash });
    }
    const recordedNow = receipt.logs.some(
      (entry) => entry.address.toLowerCase() === address.toLowerCase() && contract.interface.parseLog(entry)?.name === 'AlertRecorded',
    );
    // Mined without the event: an earlier transaction (ours, resent, or another oracle's) recorded it first.
    if (!recordedNow) return alreadyRecorded(alert);
    rememberTx(alertId, txHash);
    log?.info({ alertId, txHash, kind: alert.kind, ms: Date.now() - started }, 'alert recorded');
    return { ...alert, txHash, alreadyRecorded: false };
  }

  return {
    async record(alert: AlertRecord): Promise<RecordedAlert> {
      checkAlert(alert);
      const keys = { enterprise: enterpriseKey(alert.enterprise), outfall: learn(alert.outfall), kind: learn(alert.kind) };
      learn(alert.enterprise);
      const id = alert.alertId.toLowerCase();
      // A record of the same alert in progress: let it finish, then find the alert on chain.
      while (inFlight.has(id)) await inFlight.get(id)!.catch(() => undefined);
      const attempt = send(alert, keys);
      inFlight.set(id, attempt);
      try {
        return await attempt;
      } finally {
        inFlight.delete(id);
      }
    },

    async get(alertId: string) {
      if (!BYTES32.test(alertId)) throw new QingliuError('SCHEMA_INVALID', `alert id ${alertId} is not 32 bytes of hex`);
      const alert = await readAlert(alertId.toLowerCase());
      if (!alert) return undefined;
      return {
        alertId: alertId.toLowerCase(),
        evidenceHash: alert.evidenceHash,
        enterprise: nameOf(alert.enterprise),
        outfall: nameOf(alert.outfall),
        kind: nameOf(alert.kind),
        start: Number(alert.start),
        end: Number(alert.end),
        verdict: ALERT_VERDICTS[Number(alert.verdict)] as AlertVerdict,
      };
    },

    async confirmedCount(enterprise: string): Promise<number> {
      if (enterprise.length === 0) throw new QingliuError('SCHEMA_INVALID', 'the enterprise id is empty');
      try {
        return Number((await contract.getFunction('confirmedCount').staticCall(enterpriseKey(enterprise))) as bigint);
      } catch (error) {
        throw toChainError(error, `cannot read the confirmed alerts of ${enterprise}`, contract.interface);
      }
    },

    async close(): Promise<void> {
      provider.destroy();
    },
  };
}

function checkAlert(alert: AlertRecord): void {
  const { alertId, evidenceHash, enterprise, outfall, kind, start, end } = alert;
  const problems: string[] = [];
  for (const [field, value] of [['alertId', alertId], ['evidenceHash', evidenceHash]] as const) {
    if (!BYTES32.test(value) || ZERO.test(value)) problems.push(`${field} ${value} is not 32 non-zero bytes of hex`);
  }
  for (const [field, value] of [['enterprise', enterprise], ['outfall', outfall], ['kind', kind]] as const) {
    if (value.length === 0) problems.push(`${field} is empty`);
  }
  for (const [field, value] of [['start', start], ['end', end]] as const) {
    if (!Number.isSafeInteger(value) || value < 0) problems.push(`${field} ${value} is not Unix milliseconds`);
  }
  if (problems.length === 0 && start > end) problems.push(`the alert ends (${end}) before it starts (${start})`);
  if (problems.length > 0) {
    throw new QingliuError('SCHEMA_INVALID', `alert ${alertId} is malformed`, { details: problems.join('; ') });
  }
}
