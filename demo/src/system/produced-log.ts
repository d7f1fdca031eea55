import type { SeqRange } from '../pipeline-checks.js';
import type { LogLine } from './managed-process.js';

/** Readings an agent reported durable in its outbox (its `readings queued` log line). */
export interface QueuedRange extends SeqRange {
  /** The agent's log time, ms since the epoch. */
  at: number;
  /** `<agent>#<run>`. */
  run: string;
}

/**
 * What the devices produced, told by the edge agents themselves and not by
 * the cloud: each agent logs every run of sequence numbers it made durable in
 * its disk outbox (`readings queued`, debug level). Sequence numbers of one
 * device within one agent run are consecutive (SequenceAllocator), so
 *  - a hole between two ranges of one run is readings the agent refused
 *    (outbox full) and counted;
 *  - after a kill -9, readings made durable in the last instant may not have
 *    been logged: they lie between the killed run's last logged seq and the
 *    next run's first, and are genuine (signed, from the outbox).
 */
export class ProducedLog {
  readonly #ranges: QueuedRange[] = [];
  readonly #killed = new Set<string>();

  #fullReports = 0;

  /** Feed every log line of an agent's run here. */
  onAgentLine(agent: string, run: number, line: LogLine): void {
    if (String(line['msg']).startsWith('outbox full')) this.#fullReports += 1;
    if (line['msg'] !== 'readings queued') return;
    this.#ranges.push({
      device: String(line['device']),
      first: Number(line['firstSeq']),
      last: Number(line['lastSeq']),
      at: Number(line['time']),
      run: `${agent}#${run}`,
    });
  }

  /** How many times an agent logged that its outbox was full and refused readings. */
  outboxFullReports(): number {
    return this.#fullReports;
  }

  /** The suite killed this run with -9. */
  markKilled(agent: string, run: number): void {
    this.#killed.add(`${agent}#${run}`);
  }

  /** Ranges logged at or before `until` (and after `since`). */
  ranges(until = Infinity, since = -Infinity): QueuedRange[] {
    return this.#ranges.filter((r) => r.at > since && r.at <= until);
  }

  /** Readings refused at the edge (holes inside one run), by the time of the range after the hole. */
  refused(until = Infinity, since = -Infinity): number {
    let refused = 0;
    for (const list of this.#byRunAndDevice().values()) {
      for (let i = 1; i < list.length; i += 1) {
        const hole = list[i]!.first - list[i - 1]!.last - 1;
        if (hole > 0 && list[i]!.at > since && list[i]!.at <= until) refused += hole;
      }
    }
    return refused;
  }

  /**
   * For each device, the seqs a killed run may have made durable without
   * logging them: after its last logged seq, before the next run's first.
   */
  unloggedTails(): SeqRange[] {
    const byDevice = new Map<string, QueuedRange[][]>();
    for (const list of this.#byRunAndDevice().values()) {
      const device = list[0]!.device;
      byDevice.set(device, [...(byDevice.get(device) ?? []), list]);
    }
    const tails: SeqRange[] = [];
    for (const [device, runs] of byDevice) {
      runs.sort((a, b) => a[0]!.first - b[0]!.first);
      runs.forEach((list, i) => {
        if (!this.#killed.has(list[0]!.run)) return;
        const last = list[list.length - 1]!.last;
        const next = runs[i + 1]?.[0]?.first ?? Number.MAX_SAFE_INTEGER;
        if (next - 1 > last) tails.push({ device, first: last + 1, last: next - 1 });
      });
    }
    return tails;
  }

  #byRunAndDevice(): Map<string, QueuedRange[]> {
    const out = new Map<string, QueuedRange[]>();
    for (const r of this.#ranges) {
      const key = `${r.run}\u0000${r.device}`;
      const list = out.get(key);
      if (list) list.push(r);
      else out.set(key, [r]);
    }
    for (const list of out.values()) list.sort((a, b) => a.first - b.first);
    return out;
  }
}
