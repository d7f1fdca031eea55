import type { Alert } from '@qingliu/analytics';

/** An alert as the pipeline keeps it (detection/alert-record.ts makes them): with its enterprise, a stable id and the hash of its evidence. */
export interface PipelineAlert extends Alert {
  readonly id: string;
  readonly enterprise: string;
  /** sha256 of `canonicalEvidence(evidence)`, 0x-prefixed. */
  readonly evidenceHash: string;
  /** True once the incident is over (its end is older than the close delay): its evidence is final. */
  readonly closed: boolean;
}
