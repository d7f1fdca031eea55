import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '@qingliu/testkit';
import { CHARGED_POLLUTANTS } from '../pipeline.js';
import { runAbuse } from './abuse.js';
import type { AbuseRow } from './abuse.js';
import { Auditor, rowFails } from './audit.js';
import type { FaultRow } from './audit.js';
import { chainView } from './chain-view.js';
import type { ChainView } from './chain-view.js';
import { startCluster, suiteLogger } from './cluster.js';
import type { Cluster } from './cluster.js';
import { injectFault } from './faults.js';
import type { SystemOptions } from './options.js';
import { formatAbuseTable, formatFaultTable, formatNotes } from './report.js';

export interface SystemResult {
  rows: FaultRow[];
  abuse: AbuseRow[];
  passed: boolean;
  wallMs: number;
  /** Kept when the run failed (logs of every process under logs/). */
  workDir: string;
  /** The tables and notes, as printed. */
  report: string;
}

/**
 * Runs the whole system, injects each fault in turn, audits after each, runs
 * the abuse phase, stops the flow and audits the whole run. Every child
 * process is stopped at the end, whatever happened.
 */
export async function runSystem(options: SystemOptions): Promise<SystemResult> {
  const started = Date.now();
  const workDir = options.workDir ?? (await mkdtemp(join(tmpdir(), 'qingliu-system-')));
  await mkdir(workDir, { recursive: true });
  const say = options.say;
  const rows: FaultRow[] = [];
  let abuse: AbuseRow[] = [];
  let cluster: Cluster | undefined;
  let chain: ChainView | undefined;
  let passed = false;
  try {
    say(`starting ${options.outfalls} outfalls, ${Math.ceil(options.outfalls / options.outfallsPerEnterprise)} edge agents, 2 ingesters, mosquitto, influxd, anvil (work dir ${workDir})`);
    cluster = await startCluster(options, workDir);
    chain = chainView({
      rpcUrl: cluster.anvil.rpcUrl,
      chainId: cluster.anvil.chainId,
      address: cluster.ledgerAddress,
      fromBlock: cluster.ledgerFromBlock,
      enterprises: cluster.enterprises,
      pollutants: CHARGED_POLLUTANTS,
    });
    const logger = suiteLogger(workDir);
    const auditor = new Auditor(cluster, chain);
    const record = (row: FaultRow): void => {
      rows.push(row);
      logger.info({ row: { ...row, expectedMg: String(row.expectedMg), chargedMg: String(row.chargedMg) } }, 'checkpoint');
      say(
        `${row.fault}: produced ${row.produced}, lost ${row.lost}, dup ${row.duplicated}, charged ${row.chargedMg}/${row.expectedMg} mg, ` +
          `stored after ${row.storedAfterMs ?? 'NOT'} ms, settled after ${row.settledAfterMs ?? 'NOT'} ms${rowFails(row) ? ' FAIL' : ''}`,
      );
    };

    await sleep(options.warmupMs);
    record(await auditor.checkpoint('none (warm-up)', Date.now()));
    for (const fault of options.faults) {
      options.signal?.throwIfAborted();
      say(`fault: ${fault}`);
      const outcome = await injectFault(cluster, fault);
      const row = await auditor.checkpoint(fault, outcome.endedAt);
      row.notes.unshift(...outcome.notes);
      row.problems.push(...(outcome.problems ?? []));
      record(row);
    }
    options.signal?.throwIfAborted();
    if (options.abuse) {
      say(`abuse: forged, spoofed, replayed and ${options.malformed} malformed messages; role-less chain calls`);
      const abuseStarted = Date.now();
      abuse = await runAbuse(cluster, logger);
      record(await auditor.checkpoint('abuse', abuseStarted));
    }
    // Stop the flow (the agents drain and exit), so the final balances hold still.
    for (const agent of cluster.agents) await agent.process.stop();
    record(await auditor.final());
    passed = rows.every((r) => !rowFails(r)) && abuse.every((a) => a.ok);
  } finally {
    chain?.close();
    await cluster?.stop();
  }
  const wallMs = Date.now() - started;
  const report = [
    formatFaultTable(rows),
    '',
    ...(abuse.length > 0 ? [formatAbuseTable(abuse), ''] : []),
    formatNotes(rows),
    '',
    `${passed ? 'PASS' : 'FAIL'}: ${options.outfalls} outfalls, ${options.faults.length} faults, wall time ${(wallMs / 1000).toFixed(0)} s` +
      (passed && !options.keepWorkDir ? '' : `; logs in ${workDir}/logs`),
  ].join('\n');
  if (passed && !options.keepWorkDir) await rm(workDir, { recursive: true, force: true });
  return { rows, abuse, passed, wallMs, workDir, report };
}
