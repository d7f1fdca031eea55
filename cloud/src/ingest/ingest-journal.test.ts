import { appendFile, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Reading } from '@qingliu/protocol';
import type { StoredReading } from '../ports/reading-store.js';
import { encodeReadings } from '../store/influx-encoder.js';
import { IngestJournal } from './ingest-journal.js';
import type { JournalAppend } from './ingest-journal.js';
import { withBatch } from './with-batch.js';
import { useTempDir } from '@qingliu/testkit';

let seq = 0;
const readings = (device: string, n: number): Reading[] =>
  Array.from({ length: n }, () => ({ enterprise: 'e', outfall: 'o', device, pollutant: 'w01018', value: seq / 3, unit: 'mg/L', ts: 1000 + seq, seq: seq++, flag: 'N' }));
/** What the ingester appends for readings of one message, in `batch`; `message`: the payload they all came in. */
const part = (batch: number, rs: Reading[], message?: string): JournalAppend => {
  const stored: StoredReading[] = withBatch(rs, batch);
  return { encoded: encodeReadings(stored), seqs: Float64Array.from(stored, (r) => r.seq), readings: () => stored, ...(message === undefined ? {} : { message }) };
};

describe('ingest journal', () => {
  const dir = useTempDir('qingliu-journal');

  it('gives back uncommitted entries in order, in writes of about the asked size', async () => {
    const journal = await IngestJournal.open(dir());
    const a = await journal.append(7, part(7, readings('d1', 3)));
    const b = await journal.append(7, part(7, readings('d2', 3)));
    await journal.append(8, part(8, readings('d1', 3)));
    expect(journal.peek(6).map((e) => e.id)).toEqual([a.id, b.id]);
    expect(journal.peek(1).map((e) => e.id)).toEqual([a.id]); // at least one entry
    const done = await journal.commit(b.id);
    expect(done.map((e) => e.batch)).toEqual([7, 7]);
    expect(journal.pendingEntries()).toHaveLength(1);
    await journal.close();
  });

  it('after a crash, gives back exactly the entries not committed, and skips a line cut short', async () => {
    const first = await IngestJournal.open(dir());
    const kept = readings('d1', 2);
    const a = await first.append(1, part(1, readings('d1', 2)));
    await first.append(2, part(2, kept));
    await first.commit(a.id);
    const [segment] = (await readdir(dir())).filter((n) => n.startsWith('segment-'));
    await appendFile(join(dir(), segment!), '{"id":99,"batch":3,"readings":[{"enter'); // the crash
    // no close(): as if killed
    const again = await IngestJournal.open(dir());
    expect(again.pendingEntries()).toEqual([{ id: a.id + 1, batch: 2, device: 'd1', seqs: Float64Array.from(kept, (r) => r.seq), encoded: undefined, readings: kept }]);
    expect(again.holds('d1', kept[0]!.seq)).toBe(true);
    expect(again.highestPending().get('d1')).toBe(kept[1]!.seq);
    const next = await again.append(4, part(4, readings('d2', 1)));
    expect(next.id).toBe(a.id + 2);
    await again.close();
  });

  it('keeps id order when appends overlap, so committing a prefix never skips an entry', async () => {
    const journal = await IngestJournal.open(dir());
    const appended = await Promise.all(Array.from({ length: 20 }, (_, i) => journal.append(1, part(1, readings(`d${i % 3}`, 2)))));
    expect(journal.pendingEntries().map((e) => e.id)).toEqual(appended.map((e) => e.id));
    const firstFive = journal.peek(10);
    expect(firstFive.map((e) => e.id)).toEqual(appended.slice(0, 5).map((e) => e.id));
    await journal.commit(firstFive.at(-1)!.id);
    expect(journal.pendingEntries()[0]!.id).toBe(appended[5]!.id);
    await journal.close();
    const again = await IngestJournal.open(dir());
    expect(again.pendingEntries().map((e) => e.id)).toEqual(appended.slice(5).map((e) => e.id));
    await again.close();
  });

  it('removes segment files once everything in them is committed', async () => {
    const journal = await IngestJournal.open(dir(), { segmentBytes: 600 });
    const entries = [];
    for (let i = 0; i < 6; i += 1) entries.push(await journal.append(1, part(1, readings('d1', 2))));
    const before = (await readdir(dir())).filter((n) => n.startsWith('segment-')).length;
    expect(before).toBeGreaterThan(2);
    await journal.commit(entries.at(-1)!.id);
    const after = (await readdir(dir())).filter((n) => n.startsWith('segment-')).length;
    expect(after).toBe(1);
    expect(journal.pendingBytes()).toBe(0);
    expect(journal.holds('d1', entries[0]!.seqs[0]!)).toBe(false);
    await journal.close();
  });
});

describe('ingest journal, a message journaled as it came', () => {
  const dir = useTempDir('qingliu-journal-message');

  it('reads the readings back out of the message, each given the entry batch', async () => {
    const journal = await IngestJournal.open(dir());
    const sent = readings('d1', 3);
    const message = JSON.stringify({ v: 1, enterprise: 'e', device: 'd1', readings: sent, sig: 'x' });
    const entry = await journal.append(5, part(5, structuredClone(sent), message));
    expect(entry.encoded?.text.split('\n').every((line) => line.includes(' batch=5i,'))).toBe(true);
    const [segment] = (await readdir(dir())).filter((n) => n.startsWith('segment-'));
    const line = (await readFile(join(dir(), segment!), 'utf8')).trim();
    expect(line.startsWith('{"id":1,"batch":5,"message":{"v":1,')).toBe(true); // the text, not the readings again
    // no close(): as if killed
    const again = await IngestJournal.open(dir());
    expect(again.pendingEntries()).toEqual([
      { id: 1, batch: 5, device: 'd1', seqs: Float64Array.from(sent, (r) => r.seq), encoded: undefined, readings: sent.map((r) => ({ ...r, batch: 5 })) },
    ]);
    expect(again.holds('d1', sent[2]!.seq)).toBe(true);
    await again.close();
  });

  it('serialises the readings when the message spans lines (pretty-printed JSON)', async () => {
    const journal = await IngestJournal.open(dir());
    const sent = readings('d2', 2);
    await journal.append(6, part(6, structuredClone(sent), JSON.stringify({ v: 1, enterprise: 'e', device: 'd2', readings: sent, sig: 'x' }, null, 2)));
    await journal.append(7, part(7, readings('d2', 1)));
    const again = await IngestJournal.open(dir());
    expect(again.pendingEntries().map((e) => [e.batch, e.seqs.length])).toEqual([[6, 2], [7, 1]]);
    expect(again.pendingEntries()[0]!.readings).toEqual(sent.map((r) => ({ ...r, batch: 6 })));
    await journal.close();
    await again.close();
  });
});
