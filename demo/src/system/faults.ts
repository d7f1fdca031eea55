import { sleep, waitFor } from '@qingliu/testkit';
import type { Cluster } from './cluster.js';
import type { ManagedProcess } from './managed-process.js';
import type { Fault } from './options.js';

/** What a fault did: when it ended (the part is back), and what to note. */
export interface FaultOutcome {
  endedAt: number;
  notes: string[];
  problems?: string[];
}

async function killAndRestart(cluster: Cluster, target: ManagedProcess, onKilled?: (run: number) => void): Promise<FaultOutcome> {
  const run = target.runs();
  await target.kill9();
  onKilled?.(run);
  await sleep(cluster.options.deadMs);
  await target.start();
  return { endedAt: Date.now(), notes: [`${target.name} killed -9 (pid gone), restarted as run ${target.runs()}`] };
}

/** Injects one fault and brings the part back; resolves when the part is running again. */
export async function injectFault(cluster: Cluster, fault: Fault): Promise<FaultOutcome> {
  const { options } = cluster;
  switch (fault) {
    case 'edge-kill': {
      const agent = cluster.agents[0]!;
      return killAndRestart(cluster, agent.process, (run) => cluster.produced.markKilled(agent.process.name, run));
    }
    case 'ingester-kill':
      return killAndRestart(cluster, cluster.ingesters[1].process);
    case 'settler-kill':
      return killAndRestart(cluster, cluster.ingesters[0].process);
    case 'broker-stop': {
      await cluster.mosquitto.down();
      await sleep(options.outageMs);
      await cluster.mosquitto.up();
      return { endedAt: Date.now(), notes: [`mosquitto stopped ${options.outageMs / 1000} s`] };
    }
    case 'influx-stop': {
      await cluster.influxDown();
      await sleep(options.outageMs);
      await cluster.influxUp();
      return { endedAt: Date.now(), notes: [`influxd stopped ${options.outageMs / 1000} s, restarted on its data folder`] };
    }
    case 'chain-stop': {
      cluster.anvil.pause();
      try {
        await sleep(options.outageMs);
      } finally {
        cluster.anvil.resume();
      }
      return { endedAt: Date.now(), notes: [`anvil frozen (SIGSTOP) ${options.outageMs / 1000} s`] };
    }
    case 'outbox-full':
      return fillOutbox(cluster);
  }
}

/**
 * Restarts one agent with a small outbox bound, cuts it off the broker until
 * the outbox refuses readings (the agent logs it), keeps it full a moment,
 * and reconnects it. Readings refused while full are counted by the agent
 * (holes in its sequence numbers), never stored; everything it held arrives.
 */
async function fillOutbox(cluster: Cluster): Promise<FaultOutcome> {
  const { fillAgent, fillProxy, options } = cluster;
  const agent = fillAgent.process;
  await agent.stop(); // SIGTERM: drains, exits 0
  await fillAgent.setOutboxBytes(options.fillOutboxBytes);
  await agent.start();
  const reportsBefore = cluster.produced.outboxFullReports();
  fillProxy.cut();
  const cutAt = Date.now();
  let fullAfterMs: number | undefined;
  try {
    // The agent logs `outbox full: ...` when it starts refusing; the holes in its seqs show once it takes readings again.
    await waitFor(() => cluster.produced.outboxFullReports() > reportsBefore, options.fillTimeoutMs, `the outbox of ${agent.name} to fill up`, 200);
    fullAfterMs = Date.now() - cutAt;
    await sleep(2_000);
  } catch {
    // reported below: the bound was never reached
  } finally {
    fillProxy.restore();
  }
  if (fullAfterMs === undefined) {
    return { endedAt: Date.now(), notes: [], problems: [`${agent.name}'s outbox (${options.fillOutboxBytes} B) did not fill within ${options.fillTimeoutMs / 1000} s`] };
  }
  return { endedAt: Date.now(), notes: [`${agent.name} cut off; its ${options.fillOutboxBytes} B outbox refused readings after ${(fullAfterMs / 1000).toFixed(1)} s`] };
}
