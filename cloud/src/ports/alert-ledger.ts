/**
 * Where detected alerts leave their mark on chain: the hash of each alert's
 * evidence (the readings and expected values it rests on), so nobody can
 * later change what an alert said; and the bureau's verdict on it, which
 * feeds the enterprise's record (the blacklist and the credit score).
 *
 * The embedded adapter talks to the AlertRegistry contract on a local EVM
 * node; a consortium chain slots in behind the same interface.
 */
export interface AlertRecord {
  /** 0x-prefixed 32-byte id: sha256 of the incident's canonical JSON (see detection/alert-record.ts). */
  alertId: string;
  /** 0x-prefixed 32-byte sha256 of the evidence's canonical JSON. */
  evidenceHash: string;
  enterprise: string;
  outfall: string;
  /** AlertKind, e.g. `dilution`. */
  kind: string;
  /** Unix milliseconds. */
  start: number;
  end: number;
}

export interface RecordedAlert extends AlertRecord {
  txHash: string | undefined;
  /** True when the chain had this alert already and nothing was written now. */
  alreadyRecorded: boolean;
}

export type AlertVerdict = 'pending' | 'confirmed' | 'dismissed';

export interface AlertLedger {
  /** Records the alert's evidence hash, exactly once per alert id (the oracle's role). */
  record(alert: AlertRecord): Promise<RecordedAlert>;
  /** What the chain holds for the alert, if anything. */
  get(alertId: string): Promise<(AlertRecord & { verdict: AlertVerdict }) | undefined>;
  /** Confirmed alerts of an enterprise: what its record and credit score rest on. */
  confirmedCount(enterprise: string): Promise<number>;
  close(): Promise<void>;
}
