/**
 * An alert as the pipeline keeps it: with its enterprise, a stable id and the
 * hash of its evidence. The id names the incident (outfall, kind, detector,
 * first flagged sample), so the same incident seen again by a later run keeps
 * its id while its end grows; the evidence hash is sha256 of the evidence's
 * canonical JSON (protocol/README.md), what goes on chain once the alert has
 * closed, so what it rested on cannot be changed afterwards.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '@qingliu/protocol';
import type { Alert, AlertEvidence } from '@qingliu/analytics';
import type { PipelineAlert } from '../ports/pipeline-alert.js';

export type { PipelineAlert } from '../ports/pipeline-alert.js';

const sha256 = (text: string): string => `0x${createHash('sha256').update(text).digest('hex')}`;

/** The evidence in canonical JSON; a missing expected value (NaN) is written as null. */
export function canonicalEvidence(evidence: AlertEvidence): string {
  return canonicalJson({
    ...evidence,
    readings: evidence.readings.map((r) => ({ ...r, expected: Number.isFinite(r.expected) ? r.expected : null })),
  });
}

export function alertId(a: Pick<Alert, 'outfall' | 'kind' | 'start'> & { evidence: Pick<AlertEvidence, 'detector'> }): string {
  return sha256(canonicalJson({ outfall: a.outfall, kind: a.kind, detector: a.evidence.detector, start: a.start }));
}

export function toPipelineAlert(a: Alert, enterprise: string, closed: boolean): PipelineAlert {
  return { ...a, id: alertId(a), enterprise, evidenceHash: sha256(canonicalEvidence(a.evidence)), closed };
}
