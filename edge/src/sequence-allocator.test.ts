import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SEQUENCE_BLOCK, SequenceAllocator } from './sequence-allocator.js';
import { useTempDir } from '@qingliu/testkit';

describe('SequenceAllocator', () => {
  const dir = useTempDir('qingliu-seq');

  it('hands out consecutive numbers from 0 and reserves a block on disk first', async () => {
    const seq = await SequenceAllocator.open(join(dir(), 'd1.seq'));
    expect(await seq.take(3)).toEqual([0, 1, 2]);
    expect(await seq.take(2)).toEqual([3, 4]);
    expect(Number(await readFile(join(dir(), 'd1.seq'), 'utf8'))).toBe(SEQUENCE_BLOCK);
  });

  it('never repeats a number after a restart, even one that was never used', async () => {
    const first = await SequenceAllocator.open(join(dir(), 'd1.seq'));
    const used = await first.take(5);
    const second = await SequenceAllocator.open(join(dir(), 'd1.seq'));
    const next = await second.take(1);
    expect(next[0]).toBeGreaterThan(Math.max(...used));
  });

  it('reserves past a block when one take is larger than a block', async () => {
    const seq = await SequenceAllocator.open(join(dir(), 'd1.seq'));
    const many = await seq.take(SEQUENCE_BLOCK + 5);
    expect(many.at(-1)).toBe(SEQUENCE_BLOCK + 4);
    const again = await SequenceAllocator.open(join(dir(), 'd1.seq'));
    expect((await again.take(1))[0]).toBeGreaterThan(SEQUENCE_BLOCK + 4);
  });
});
