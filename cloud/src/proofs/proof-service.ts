import { QingliuError } from '@qingliu/protocol';
import type { Ledger } from '../ports/ledger.js';
import type { ReadingStore } from '../ports/reading-store.js';
import { createReadingProof } from './reading-proof.js';
import type { ReadingProof } from './reading-proof.js';

export interface ProofServiceParameters {
  store: ReadingStore;
  ledger: Ledger;
  /** Address of the EmissionLedger contract. */
  contract: string;
  /** The anchoring transaction of a batch, when this process knows it. */
  txHashOf?: (batch: number) => string | undefined;
}

export interface ProofService {
  /** The proof of the reading of `device` with `seq`, sampled at `ts` (ms). */
  prove(device: string, seq: number, ts: number): Promise<ReadingProof>;
}

/**
 * Proofs for stored readings: finds the reading and its batch in the store,
 * rebuilds the batch tree, and checks that the chain anchored the same root
 * before it answers.
 */
export function createProofService(params: ProofServiceParameters): ProofService {
  const { store, ledger } = params;
  return {
    async prove(device, seq, ts) {
      const found = (await store.queryReadings({ device, fromMs: ts, toMs: ts + 1, limit: 100 })).find((r) => r.seq === seq);
      if (!found) throw new QingliuError('DEVICE_UNKNOWN', `no stored reading of ${device} with seq ${seq} at ${ts}`);
      const anchored = await ledger.anchoredBatch(BigInt(found.batch));
      if (!anchored) {
        throw new QingliuError('CHAIN_UNAVAILABLE', `batch ${found.batch} of this reading is not anchored yet`, { retryable: true });
      }
      const { batch, ...reading } = found;
      const readings = (await store.readBatch(batch)).map(({ batch: _b, ...r }) => r);
      const proof = createReadingProof({ readings, reading, batchId: BigInt(batch), txHash: params.txHashOf?.(batch), contract: params.contract });
      if (proof.root !== anchored.root) {
        throw new QingliuError('CHAIN_REVERTED', `batch ${batch}: the stored readings give root ${proof.root}, the chain holds ${anchored.root}`);
      }
      return proof;
    },
  };
}
