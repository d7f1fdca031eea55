import type { PipelineAlert } from './pipeline-alert.js';

/** Which alerts to read: those overlapping [fromMs, toMs), optionally of one enterprise or outfall. */
export interface AlertQuery {
  enterprise?: string | undefined;
  outfall?: string | undefined;
  fromMs: number;
  toMs: number;
  limit: number;
}

export interface StoredAlert extends PipelineAlert {
  /** The transaction that recorded its evidence hash on chain, once it has. */
  txHash?: string | undefined;
}

/**
 * Where detected alerts are kept for the bureau's timeline. The embedded
 * adapter is InfluxDB (measurement `alert`, beside the readings); writing an
 * alert again with the same id replaces it (its end grew, or it was recorded
 * on chain), never duplicates it.
 */
export interface AlertStore {
  write(alerts: readonly StoredAlert[]): Promise<void>;
  query(query: AlertQuery): Promise<StoredAlert[]>;
  close(): Promise<void>;
}
