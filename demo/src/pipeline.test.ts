/**
 * The whole path on real parts, nothing mocked: firmware-sim Modbus devices on
 * loopback, edge agents, aedes, the ingester, Debian's influxd (child process)
 * and anvil (child process) with the EmissionLedger contract.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { verifyReadingProof } from '@qingliu/cloud/proofs/verify-proof';
import type { StoredReading } from '@qingliu/cloud/ports/reading-store';
import type { ReadingProof } from '@qingliu/cloud/proofs/reading-proof';
import { waitFor } from '@qingliu/testkit';
import type { PollutantCode, Reading } from '@qingliu/protocol';
import { CHARGED_POLLUTANTS, startPipeline } from './pipeline.js';
import { addLoads, loadKey, readingKey, recomputeBatches, rootMismatches, seqsByDevice, tallyExactlyOnce } from './pipeline-checks.js';
import type { LoadTotals, RecomputedBatch } from './pipeline-checks.js';
import type { Pipeline } from './pipeline.js';

const ALLOCATION: Partial<Record<PollutantCode, bigint>> = { w01018: 1_000_000n, w21003: 100_000n };


describe('simulated plant to chain, end to end', () => {
  let workDir: string;
  let pipeline: Pipeline;
  const published: Reading[] = [];

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'qingliu-e2e-'));
    pipeline = await startPipeline({
      workDir,
      settlementPeriodMs: 1500,
      pollIntervalMs: 200,
      allocationMilligrams: ALLOCATION,
      logger: pino({ level: 'silent' }),
      onPublished: (readings) => published.push(...readings),
    });
    await waitFor(() => pipeline.settler.settled().length >= 3, 30_000, 'three settled periods');
    await pipeline.quiesce();
  }, 60_000);

  afterAll(async () => {
    await pipeline?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  async function storedRows(): Promise<StoredReading[]> {
    const batches = pipeline.settler.settled().map((b) => b.batch);
    const rows: StoredReading[] = [];
    for (let b = Math.min(...batches) - 1; b <= Math.max(...batches) + 1; b += 1) {
      rows.push(...(await pipeline.store.readBatch(b)));
    }
    return rows;
  }

  const settledBatches = (): Promise<RecomputedBatch[]> =>
    recomputeBatches({
      store: pipeline.store,
      batches: pipeline.settler.settled().map((b) => b.batch),
      sampleIntervalMs: (device) => pipeline.registry.get(device)!.sampleIntervalMs,
      charged: CHARGED_POLLUTANTS,
    });

  it('stores every reading the edge agents published, exactly once', async () => {
    expect(published.length).toBeGreaterThan(3 * 4 * 10);
    const devices = new Set(published.map((r) => r.device));
    expect(devices.size).toBe(3);
    const rows = await storedRows();
    const tally = tallyExactlyOnce(
      published.map((r) => ({ device: r.device, first: r.seq, last: r.seq })),
      seqsByDevice(rows),
    );
    expect(tally).toEqual({ produced: published.length, stored: published.length, lost: 0, duplicated: 0, unexpected: 0, lostSample: [] });
    const byKey = new Map(rows.map((r) => [readingKey(r), r]));
    for (const reading of published) {
      const { batch: _batch, ...row } = byKey.get(readingKey(reading))!;
      expect(row).toEqual(reading);
    }
  });

  it('settles every stored reading in exactly one batch', async () => {
    const settled = pipeline.settler.settled();
    const anchored = settled.reduce((sum, b) => sum + b.readingCount, 0);
    expect(anchored).toBe(published.length);
    expect(new Set(settled.map((b) => b.batch)).size).toBe(settled.length);
  });

  it("leaves each enterprise's balance at its allocation minus the load computed from the stored readings", async () => {
    const expected: LoadTotals = new Map();
    for (const batch of await settledBatches()) {
      const charged = pipeline.settler.settled().find((b) => b.batch === batch.batch)!.loads;
      expect(charged.map((l) => l.pollutant).every((p) => p in ALLOCATION)).toBe(true);
      expect(batch.flaggedSamples).toBe(0);
      addLoads(expected, batch.loads);
    }
    const enterprises = pipeline.registry.enterprises();
    expect(enterprises).toHaveLength(2);
    for (const enterprise of enterprises) {
      for (const [pollutant, allocation] of Object.entries(ALLOCATION) as [PollutantCode, bigint][]) {
        const charged = expected.get(loadKey(enterprise, pollutant)) ?? 0n;
        expect(charged).toBeGreaterThan(0n);
        expect(await pipeline.ledger.balanceOf(enterprise, pollutant)).toBe(allocation - charged);
      }
    }
  });

  it("anchors, for each batch, the Merkle root recomputed from InfluxDB's rows", async () => {
    const batches = await settledBatches();
    const anchored = new Map<number, { root: string; readingCount: number }>();
    for (const { batch, readingCount } of pipeline.settler.settled()) {
      const onChain = await pipeline.ledger.anchoredBatch(BigInt(batch));
      expect(onChain).toBeDefined();
      expect(onChain!.readingCount).toBe(readingCount);
      anchored.set(batch, onChain!);
    }
    expect(rootMismatches(batches, anchored)).toEqual([]);
  });

  it('serves a proof of a stored reading over HTTP that verifies against the chain with only an RPC URL', async () => {
    const reading = published[Math.floor(published.length / 2)]!;
    const response = await fetch(`${pipeline.status.url}/api/v1/proofs/${reading.device}/${reading.seq}?ts=${reading.ts}`, {
      headers: { authorization: `Bearer ${pipeline.tokens.enterprises[reading.enterprise]}` },
    });
    expect(response.status).toBe(200);
    const proof = (await response.json()) as ReadingProof;
    expect(proof.reading).toEqual(reading);
    expect(proof.contract).toBe(pipeline.ledgerAddress);
    const verdict = await verifyReadingProof(proof, { rpcUrl: pipeline.anvil.rpcUrl, contract: pipeline.ledgerAddress });
    expect(verdict.valid).toBe(true);
    const forged = await verifyReadingProof({ ...proof, reading: { ...reading, value: reading.value + 1 } }, { rpcUrl: pipeline.anvil.rpcUrl, contract: pipeline.ledgerAddress });
    expect(forged.valid).toBe(false);
  });
});
