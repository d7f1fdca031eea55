import { Contract, isAddress } from 'ethers';
import type { Interface, TransactionReceipt } from 'ethers';
import {
  ALERT_REGISTRY_ABI,
  BLACKLIST_ABI,
  BLACKLIST_REASONS,
  EMISSION_LEDGER_ABI,
  ENTERPRISE_REGISTRY_ABI,
  enterpriseKey,
  idKey,
  pollutantKey,
  regionKey,
} from '@qingliu/contracts';
import { QingliuError } from '@qingliu/protocol';
import type { PollutantCode } from '@qingliu/protocol';
import { toChainError } from './chain-errors.js';
import { connectRpc } from './rpc.js';
import type { RpcConnection, RpcOptions } from './rpc.js';

export interface CreateBureauClientParameters extends RpcOptions {
  rpcUrl: string;
  /** Private key of an account holding BUREAU_ROLE on the contracts below. */
  privateKey: string;
  /** Address of the deployed EmissionLedger. */
  address: string;
  /** Address of the deployed EnterpriseRegistry; without it, `registry` calls reject with CONFIG_INVALID. */
  registry?: string;
  /** Address of the deployed Blacklist; without it, `blacklist` calls reject with CONFIG_INVALID. */
  blacklist?: string;
  /** Address of the deployed AlertRegistry; without it, `confirmAlert` and `dismissAlert` reject with CONFIG_INVALID. */
  alertRegistry?: string;
}

export interface BureauTransaction {
  txHash: string;
}

/** One enterprise of a cap split, with the emissions its share is proportional to. */
export interface CapShareInput {
  enterprise: string;
  /** Historical emissions, milligrams (any year the bureau chooses). */
  historicalMilligrams: bigint;
}

export interface AllocateCapParameters {
  /** Region id, e.g. `cn-330100`. */
  region: string;
  pollutant: PollutantCode;
  /** 2000..2999. */
  year: number;
  /** The region's cap, milligrams; the permits sum to it exactly. */
  capMilligrams: bigint;
  /** 1..100 enterprises, in the published order (ties of the rounding go in this order). */
  enterprises: CapShareInput[];
}

export interface AllocateCapReturnType extends BureauTransaction {
  /** Each enterprise's permit, from the PermitIssued events, in the order given. */
  permits: { enterprise: string; milligrams: bigint }[];
}

export interface EnrollDeviceParameters {
  device: string;
  enterprise: string;
  outfall: string;
  /** The device's raw Ed25519 public key: 64 hex characters (as enrolled at the edge), with or without 0x. */
  publicKey: string;
}

/** A reason code of IBlacklist.sol, by name or number (non-zero; other codes are allowed). */
export type BlacklistReason = keyof typeof BLACKLIST_REASONS | number;

/** What the environmental bureau does on the chain; each call resolves once its transaction is mined. */
export interface BureauClient {
  /** Adds `milligrams` to the allocation and the balance of `enterprise` for `pollutant`. */
  allocate(enterprise: string, pollutant: PollutantCode, milligrams: bigint): Promise<BureauTransaction>;
  /** Issues one permit for `year` outside a cap split; its credits are added to the balance. */
  issuePermit(enterprise: string, pollutant: PollutantCode, year: number, milligrams: bigint): Promise<BureauTransaction>;
  /** Splits a region's cap by historical emissions (largest remainder) and issues each enterprise its permit. */
  allocateCap(params: AllocateCapParameters): Promise<AllocateCapReturnType>;
  /** How far ahead a projected depletion triggers a TopUpWarning, in seconds. */
  setWarningHorizon(seconds: number): Promise<BureauTransaction>;
  /** Stops settlement until `unpause()`. */
  pause(): Promise<BureauTransaction>;
  unpause(): Promise<BureauTransaction>;
  /** Total milligrams ever allocated to `enterprise` for `pollutant`. */
  allocationOf(enterprise: string, pollutant: PollutantCode): Promise<bigint>;
  /** The permit of `enterprise` for `pollutant` and `year`: milligrams 0 when none was issued. */
  permitOf(enterprise: string, pollutant: PollutantCode, year: number): Promise<{ milligrams: bigint; issuedAt: number }>;
  warningHorizon(): Promise<number>;
  registry: {
    /** Registers an enterprise in `region`, acting on chain through `account` (it gets ENTERPRISE_ROLE). */
    registerEnterprise(enterprise: string, region: string, account: string): Promise<BureauTransaction>;
    addOutfall(enterprise: string, outfall: string): Promise<BureauTransaction>;
    /** Enrols a device's key at an outfall of its enterprise (again after a revocation: key rotation). */
    enrollDevice(params: EnrollDeviceParameters): Promise<BureauTransaction>;
    revokeDevice(device: string): Promise<BureauTransaction>;
    /** Whether `publicKey` is the device's enrolled, unrevoked key. */
    isEnrolledKey(device: string, publicKey: string): Promise<boolean>;
  };
  blacklist: {
    /** Lists `enterprise` with a reason and the keccak256 of the evidence (32 bytes, 0x hex). */
    add(enterprise: string, reason: BlacklistReason, evidenceHash: string): Promise<BureauTransaction>;
    /** Delists `enterprise`, e.g. `rectified`, with the evidence of it. */
    remove(enterprise: string, reason: BlacklistReason, evidenceHash: string): Promise<BureauTransaction>;
    isBlacklisted(enterprise: string): Promise<boolean>;
  };
  /** Confirms a pending alert (its 0x 32-byte id), with the hash of the grounds; it counts in the enterprise's record. */
  confirmAlert(alertId: string, reasonHash: string): Promise<BureauTransaction>;
  /** Dismisses a pending alert, with the hash of the grounds. */
  dismissAlert(alertId: string, reasonHash: string): Promise<BureauTransaction>;
  close(): Promise<void>;
}

const invalid = (message: string, details?: string): Promise<never> =>
  Promise.reject(new QingliuError('SCHEMA_INVALID', message, details === undefined ? {} : { details }));

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;

function reasonCode(reason: BlacklistReason): number | undefined {
  const code = typeof reason === 'number' ? reason : BLACKLIST_REASONS[reason];
  return Number.isInteger(code) && code > 0 && code <= 0xffff ? code : undefined;
}

/** A client for the bureau's account on EmissionLedger and, when their addresses are given, the registry, blacklist and alert registry. */
export async function createBureauClient(params: CreateBureauClientParameters): Promise<BureauClient> {
  const { rpcUrl, privateKey, address, registry: registryAddress, blacklist: blacklistAddress, alertRegistry: alertsAddress, ...rpcOptions } = params;
  for (const [field, value] of [['address', address], ['registry', registryAddress], ['blacklist', blacklistAddress], ['alertRegistry', alertsAddress]] as const) {
    if (value !== undefined && !isAddress(value)) {
      throw new QingliuError('CONFIG_INVALID', `the bureau client's ${field} is not an address`, { details: value });
    }
  }
  const rpc = await connectRpc(rpcUrl, privateKey, rpcOptions);
  const ledger = new Contract(address, EMISSION_LEDGER_ABI, rpc.signer);
  const registry = registryAddress === undefined ? undefined : new Contract(registryAddress, ENTERPRISE_REGISTRY_ABI, rpc.signer);
  const blacklist = blacklistAddress === undefined ? undefined : new Contract(blacklistAddress, BLACKLIST_ABI, rpc.signer);
  const alerts = alertsAddress === undefined ? undefined : new Contract(alertsAddress, ALERT_REGISTRY_ABI, rpc.signer);

  const send = async (contract: Contract, what: string, method: string, args: unknown[]): Promise<BureauTransaction> =>
    (await sendAndWait(rpc, what, contract.interface, () => contract.getFunction(method)(...args) as Promise<{ hash: string }>)).tx;
  const read = async <T>(contract: Contract, what: string, method: string, args: unknown[]): Promise<T> => {
    try {
      return (await contract.getFunction(method).staticCall(...args)) as T;
    } catch (error) {
      throw toChainError(error, `cannot read ${what}`, contract.interface);
    }
  };
  const needs = (contract: Contract | undefined, name: 'registry' | 'blacklist' | 'alertRegistry'): Contract => {
    if (!contract) throw new QingliuError('CONFIG_INVALID', `the bureau client was created without a ${name} address`);
    return contract;
  };

  return {
    allocate(enterprise, pollutant, milligrams) {
      if (milligrams < 0n) return invalid(`cannot allocate negative milligrams (${milligrams})`);
      return send(ledger, `allocate ${milligrams} mg of ${pollutant} to ${enterprise}`, 'allocate', [
        enterpriseKey(enterprise),
        pollutantKey(pollutant),
        milligrams,
      ]);
    },
    issuePermit(enterprise, pollutant, year, milligrams) {
      if (milligrams < 0n) return invalid(`cannot issue a permit of negative milligrams (${milligrams})`);
      return send(ledger, `issue ${enterprise}'s ${year} permit for ${pollutant}`, 'issuePermit', [
        enterpriseKey(enterprise),
        pollutantKey(pollutant),
        year,
        milligrams,
      ]);
    },
    async allocateCap({ region, pollutant, year, capMilligrams, enterprises }) {
      if (capMilligrams < 0n || enterprises.some((e) => e.historicalMilligrams < 0n)) {
        return invalid('a cap and historical emissions cannot be negative');
      }
      const keys = enterprises.map((e) => enterpriseKey(e.enterprise));
      const what = `allocate the ${year} cap of ${region} for ${pollutant}`;
      const { tx, receipt } = await sendAndWait(rpc, what, ledger.interface, () =>
        ledger.getFunction('allocateCap')(
          regionKey(region),
          pollutantKey(pollutant),
          year,
          capMilligrams,
          keys,
          enterprises.map((e) => e.historicalMilligrams),
        ) as Promise<{ hash: string }>,
      );
      const issued = new Map<string, bigint>();
      for (const log of receipt.logs) {
        const event = log.address.toLowerCase() === address.toLowerCase() ? ledger.interface.parseLog(log) : null;
        if (event?.name === 'PermitIssued') issued.set(event.args.getValue('enterprise') as string, event.args.getValue('milligrams') as bigint);
      }
      return { ...tx, permits: enterprises.map((e, i) => ({ enterprise: e.enterprise, milligrams: issued.get(keys[i]!) ?? 0n })) };
    },
    setWarningHorizon(seconds) {
      if (!Number.isSafeInteger(seconds) || seconds < 0) return invalid(`the warning horizon must be whole seconds >= 0, got ${seconds}`);
      return send(ledger, `set the warning horizon to ${seconds} s`, 'setWarningHorizon', [seconds]);
    },
    pause: () => send(ledger, 'pause settlement', 'pause', []),
    unpause: () => send(ledger, 'unpause settlement', 'unpause', []),
    allocationOf: (enterprise, pollutant) =>
      read<bigint>(ledger, `the allocation of ${enterprise} for ${pollutant}`, 'allocationOf', [enterpriseKey(enterprise), pollutantKey(pollutant)]),
    async permitOf(enterprise, pollutant, year) {
      const [milligrams, , issuedAt] = await read<[bigint, string, bigint]>(ledger, `the permit of ${enterprise}`, 'permitOf', [
        enterpriseKey(enterprise),
        pollutantKey(pollutant),
        year,
      ]);
      return { milligrams, issuedAt: Number(issuedAt) };
    },
    warningHorizon: async () => Number(await read<bigint>(ledger, 'the warning horizon', 'warningHorizon', [])),

    registry: {
      async registerEnterprise(enterprise, region, account) {
        if (!isAddress(account)) return invalid(`the account of ${enterprise} is not an address`, account);
        return send(needs(registry, 'registry'), `register ${enterprise}`, 'registerEnterprise', [enterpriseKey(enterprise), regionKey(region), account]);
      },
      async addOutfall(enterprise, outfall) {
        return send(needs(registry, 'registry'), `add outfall ${outfall} of ${enterprise}`, 'addOutfall', [enterpriseKey(enterprise), idKey(outfall)]);
      },
      async enrollDevice({ device, enterprise, outfall, publicKey }) {
        const key = publicKey.startsWith('0x') ? publicKey : `0x${publicKey}`;
        if (!BYTES32.test(key)) return invalid(`the public key of ${device} is not 32 bytes of hex`, publicKey);
        return send(needs(registry, 'registry'), `enrol device ${device}`, 'enrollDevice', [idKey(device), enterpriseKey(enterprise), idKey(outfall), key]);
      },
      async revokeDevice(device) {
        return send(needs(registry, 'registry'), `revoke device ${device}`, 'revokeDevice', [idKey(device)]);
      },
      async isEnrolledKey(device, publicKey) {
        const key = publicKey.startsWith('0x') ? publicKey : `0x${publicKey}`;
        if (!BYTES32.test(key)) return invalid(`the public key of ${device} is not 32 bytes of hex`, publicKey);
        return read<boolean>(needs(registry, 'registry'), `the enrolment of ${device}`, 'isEnrolledKey', [idKey(device), key]);
      },
    },

    blacklist: {
      async add(enterprise, reason, evidenceHash) {
        const code = reasonCode(reason);
        if (code === undefined || !BYTES32.test(evidenceHash)) return invalid(`listing ${enterprise} needs a reason code and a 32-byte evidence hash`);
        return send(needs(blacklist, 'blacklist'), `blacklist ${enterprise}`, 'add', [enterpriseKey(enterprise), code, evidenceHash]);
      },
      async remove(enterprise, reason, evidenceHash) {
        const code = reasonCode(reason);
        if (code === undefined || !BYTES32.test(evidenceHash)) return invalid(`delisting ${enterprise} needs a reason code and a 32-byte evidence hash`);
        return send(needs(blacklist, 'blacklist'), `delist ${enterprise}`, 'remove', [enterpriseKey(enterprise), code, evidenceHash]);
      },
      async isBlacklisted(enterprise) {
        return read<boolean>(needs(blacklist, 'blacklist'), `whether ${enterprise} is blacklisted`, 'isBlacklisted', [enterpriseKey(enterprise)]);
      },
    },

    async confirmAlert(alertId, reasonHash) {
      if (!BYTES32.test(alertId) || !BYTES32.test(reasonHash)) return invalid('confirming an alert needs its 32-byte id and a 32-byte reason hash');
      return send(needs(alerts, 'alertRegistry'), `confirm alert ${alertId}`, 'confirm', [alertId, reasonHash]);
    },
    async dismissAlert(alertId, reasonHash) {
      if (!BYTES32.test(alertId) || !BYTES32.test(reasonHash)) return invalid('dismissing an alert needs its 32-byte id and a 32-byte reason hash');
      return send(needs(alerts, 'alertRegistry'), `dismiss alert ${alertId}`, 'dismiss', [alertId, reasonHash]);
    },

    async close() {
      rpc.provider.destroy();
    },
  };
}

/** Sends, then polls for the receipt; a failed send resets the nonce count. */
async function sendAndWait(
  rpc: RpcConnection,
  what: string,
  abi: Interface,
  submit: () => Promise<{ hash: string }>,
): Promise<{ tx: BureauTransaction; receipt: TransactionReceipt }> {
  let txHash: string;
  try {
    txHash = (await submit()).hash;
  } catch (error) {
    rpc.signer.reset();
    throw toChainError(error, `cannot ${what}`, abi);
  }
  const receipt = await rpc.waitForReceipt(txHash).catch((error: unknown) => {
    rpc.signer.reset();
    throw error;
  });
  if (receipt.status !== 1) throw new QingliuError('CHAIN_REVERTED', `${what} reverted on chain`, { details: txHash });
  return { tx: { txHash }, receipt };
}
