import type { TopUpReason } from '@qingliu/contracts';

/**
 * The ledger's events as the API streams them; chain/ledger-events.ts is the EVM adapter (eth_getLogs polling).
 */
export interface EventBase {
  /** `<block>-<log index>`: unique and in chain order. */
  id: string;
  txHash: string;
  blockNumber: number;
  /** The block's time, ms since the epoch. */
  time: number;
}

/** EmissionLedger's events as the API streams them (amounts in milligrams, as decimal strings). */
export type LedgerEvent = EventBase &
  (
    | { type: 'BatchSettled'; batchId: string; root: string; readingCount: number }
    | { type: 'LoadDeducted'; enterprise: string; pollutant: string; batchId: string; milligrams: string; balanceAfter: string }
    | { type: 'OverDischarged'; enterprise: string; pollutant: string; batchId: string; balanceAfter: string }
    | {
        type: 'TopUpWarning';
        enterprise: string;
        pollutant: string;
        batchId: string;
        reason: TopUpReason;
        balance: string;
        /** Null when no consumption rate is known yet. */
        secondsToDepletion: string | null;
      }
    | { type: 'CreditsAllocated'; enterprise: string; pollutant: string; milligrams: string; balanceAfter: string }
  );

export type LedgerEventType = LedgerEvent['type'];

export interface LedgerEventFeed {
  /** Calls `listener` with each new event, in chain order; returns the unsubscribe function. */
  subscribe(listener: (event: LedgerEvent) => void): () => void;
  /** The latest events seen (at most `keep`), oldest first. */
  recent(): readonly LedgerEvent[];
  close(): Promise<void>;
}
