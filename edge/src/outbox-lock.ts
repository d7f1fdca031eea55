import { readFile, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { QingliuError } from '@qingliu/protocol';

/** Folders this process holds. */
const held = new Set<string>();

export interface DirLock {
  release(): Promise<void>;
}

/**
 * Takes `<dir>/LOCK` (holding the pid) so two agents never share one outbox.
 * A lock left by a process that is gone (kill -9, power loss) is taken over.
 */
export async function takeDirLock(dir: string): Promise<DirLock> {
  const key = resolve(dir);
  const path = join(dir, 'LOCK');
  if (held.has(key)) throw new QingliuError('STORE_UNAVAILABLE', `outbox ${dir} is already open in this process`);
  let owner: number | undefined;
  try {
    owner = Number((await readFile(path, 'utf8')).trim());
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
    throw new QingliuError('STORE_UNAVAILABLE', `outbox ${dir} is in use by process ${owner}`);
  }
  await writeFile(path, `${process.pid}\n`, { mode: 0o600 });
  held.add(key);
  return {
    async release() {
      if (!held.delete(key)) return;
      await unlink(path).catch(() => undefined);
    },
  };
}

function isAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
