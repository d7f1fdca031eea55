import { open } from 'node:fs/promises';

/** fsyncs a folder, so that files just created, renamed or removed in it stay so after a power loss. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
