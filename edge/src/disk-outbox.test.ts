import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDiskOutbox } from './disk-outbox.js';
import { contractReading as reading, describeOutboxContract } from './outbox.contract.js';

const dirs: string[] = [];
const tempDir = async (): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), 'qingliu-outbox-'));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

let lastDir = '';
describeOutboxContract('disk outbox', {
  create: async (options = {}) => openDiskOutbox({ dir: (lastDir = await tempDir()), ...options }),
  reopen: async () => openDiskOutbox({ dir: lastDir }),
});

const segmentFiles = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((f) => f.startsWith('seg-')).sort();

describe('disk outbox on disk', () => {
  it('cuts a torn last record on open and keeps every record before it', async () => {
    const dir = await tempDir();
    let outbox = await openDiskOutbox({ dir });
    await outbox.append([reading('d1', 1), reading('d1', 2)]);
    await outbox.append([reading('d1', 3)]);
    await outbox.close();
    const [segment] = await segmentFiles(dir);
    const before = (await stat(join(dir, segment!))).size;
    const torn = '1234abcd [{"enterprise":"ent-a","dev'; // a write cut short
    await appendFile(join(dir, segment!), torn);
    outbox = await openDiskOutbox({ dir });
    expect((await outbox.peek('d1', 10)).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(outbox.recovered).toEqual({ damagedRecords: 0, tornBytes: torn.length });
    expect((await stat(join(dir, segment!))).size).toBe(before);
    await outbox.append([reading('d1', 4)]);
    await outbox.close();
    outbox = await openDiskOutbox({ dir });
    expect((await outbox.peek('d1', 10)).map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    await outbox.close();
  });

  it('skips a record whose checksum fails and counts it, never handing it out', async () => {
    const dir = await tempDir();
    let outbox = await openDiskOutbox({ dir });
    await outbox.append([reading('d1', 1)]);
    await outbox.close();
    const [segment] = await segmentFiles(dir);
    const good = await import('./outbox-record.js').then((m) => m.encodeRecord([reading('d1', 3)]).toString());
    const bad = good.replace('"seq":3', '"seq":2');
    await appendFile(join(dir, segment!), bad + good);
    outbox = await openDiskOutbox({ dir });
    expect((await outbox.peek('d1', 10)).map((r) => r.seq)).toEqual([1, 3]);
    expect(outbox.recovered.damagedRecords).toBe(1);
    await outbox.close();
  });

  it('rolls segments, deletes the ones fully acknowledged, and replays the rest in order after reopen', async () => {
    const dir = await tempDir();
    let outbox = await openDiskOutbox({ dir, segmentBytes: 4096 });
    for (let seq = 0; seq < 600; seq += 3) {
      await outbox.append([reading('d1', seq), reading('d2', seq), reading('d1', seq + 1), reading('d1', seq + 2)]);
    }
    const rolled = (await segmentFiles(dir)).length;
    expect(rolled).toBeGreaterThan(10);
    await outbox.ack('d1', 449);
    await outbox.ack('d2', 449);
    expect((await segmentFiles(dir)).length).toBeLessThan(rolled / 2);
    await outbox.close();
    outbox = await openDiskOutbox({ dir, segmentBytes: 4096 });
    expect((await outbox.peek('d1', 1000)).map((r) => r.seq)).toEqual(Array.from({ length: 150 }, (_, i) => 450 + i));
    expect((await outbox.peek('d2', 1000)).map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 450 + i * 3));
    expect(outbox.size()).toBe(200);
    await outbox.close();
  });

  it('refuses a second opener of the same folder while the first holds it', async () => {
    const dir = await tempDir();
    const outbox = await openDiskOutbox({ dir });
    await expect(openDiskOutbox({ dir })).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await outbox.close();
    await writeFile(join(dir, 'LOCK'), '999999999\n'); // left by a process that is gone
    await (await openDiskOutbox({ dir })).close();
  });

  it('after kill -9 mid-stream, keeps every reading whose append had resolved, in order, with nothing damaged', async () => {
    const dir = await tempDir();
    const child = spawn(
      process.execPath,
      [fileURLToPath(new URL('./test-support/outbox-writer-child.js', import.meta.url)), dir, 'd1', '0'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 15_000;
    while ((output.match(/\n/g)?.length ?? 0) < 300 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    await exited;
    const durable = output.split('\n').filter((l) => l.startsWith('durable ')).map((l) => Number(l.split(' ')[1]));
    expect(durable.length).toBeGreaterThanOrEqual(300);
    const lastDurable = durable[durable.length - 1]!;

    const outbox = await openDiskOutbox({ dir, segmentBytes: 16 * 1024 });
    const seqs = (await outbox.peek('d1', 1_000_000)).map((r) => r.seq);
    expect(outbox.recovered.damagedRecords).toBe(0);
    // Everything up to the last durable reading is there (less what was acknowledged), in order, without gaps.
    expect(seqs.length).toBeGreaterThan(0);
    expect(seqs[seqs.length - 1]).toBeGreaterThanOrEqual(lastDurable);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0]! + i));
    expect(seqs[0]).toBeLessThanOrEqual(lastDurable - 19 + 1);
    await outbox.close();
  });
});
