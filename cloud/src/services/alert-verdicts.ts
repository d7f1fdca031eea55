import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { isQingliuError } from '@qingliu/protocol';
import type { AlertLedger } from '../ports/alert-ledger.js';
import type { BureauActions } from '../ports/bureau-actions.js';
import { chainFailure } from './chain-failure.js';

export type Verdict = 'confirmed' | 'dismissed';

/** `0x` + sha256 of the reason's UTF-8 bytes: the reason hash recorded with the verdict. */
export const reasonHash = (reason: string): string => `0x${createHash('sha256').update(reason, 'utf8').digest('hex')}`;

/** What became of a verdict: recorded on chain, or not, and why. */
export type VerdictOutcome =
  | { outcome: 'recorded'; alertId: string; enterprise: string; verdict: Verdict; reasonHash: string; txHash: string }
  /** Not on chain: unknown, or not closed and recorded yet. */
  | { outcome: 'unknown'; alertId: string }
  /** It has its verdict already: a verdict is final. */
  | { outcome: 'decided'; alertId: string; verdict: string };

export interface VerdictService {
  /** Records the bureau's verdict on a recorded alert with `reasonHash(reason)`; a chain failure throws (retryable when the node is down). */
  record(alertId: string, verdict: Verdict, reason: string): Promise<VerdictOutcome>;
}

/** The bureau's verdicts on alerts: read the alert on chain, refuse a second verdict, send the first with the bureau's key. */
export function createVerdictService(params: { alertLedger: Pick<AlertLedger, 'get'>; bureau: Pick<BureauActions, 'confirmAlert' | 'dismissAlert'>; logger?: Logger | undefined }): VerdictService {
  const { alertLedger, bureau, logger } = params;
  return {
    async record(id, verdict, reason) {
      const alertId = id.toLowerCase();
      const onChain = await alertLedger.get(alertId).catch((error: unknown) => {
        throw chainFailure(error, `cannot read alert ${alertId}`);
      });
      if (!onChain) return { outcome: 'unknown', alertId };
      if (onChain.verdict !== 'pending') return { outcome: 'decided', alertId, verdict: onChain.verdict };
      const hash = reasonHash(reason);
      try {
        const tx = verdict === 'confirmed' ? await bureau.confirmAlert(alertId, hash) : await bureau.dismissAlert(alertId, hash);
        logger?.info({ alertId, enterprise: onChain.enterprise, verdict, reasonHash: hash, tx: tx.txHash }, 'bureau verdict on alert recorded');
        return { outcome: 'recorded', alertId, enterprise: onChain.enterprise, verdict, reasonHash: hash, txHash: tx.txHash };
      } catch (error) {
        // Raced by another verdict between the read and the transaction.
        const details = isQingliuError(error, 'CHAIN_REVERTED') ? (error.details ?? '') : '';
        if (details.startsWith('AlertRegistryAlreadyDecided')) {
          return { outcome: 'decided', alertId, verdict: (await alertLedger.get(alertId).catch(() => undefined))?.verdict ?? 'decided' };
        }
        if (details.startsWith('AlertRegistryUnknownAlert')) return { outcome: 'unknown', alertId };
        throw chainFailure(error, `cannot record the verdict on alert ${alertId}`);
      }
    },
  };
}
