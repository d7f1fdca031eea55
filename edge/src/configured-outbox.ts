import type { Logger } from 'pino';
import type { EdgeConfig } from './config.js';
import { openDiskOutbox } from './disk-outbox.js';
import { createMemoryOutbox } from './memory-outbox.js';
import type { Outbox } from './outbox.js';

export interface ConfiguredOutbox {
  outbox: Outbox;
  /** Where the agent keeps its MQTT session (batches in flight): beside a disk outbox; none with a memory one. */
  sessionDir: string | undefined;
}

/**
 * The outbox adapter the config names (`outbox.kind`: the disk outbox by default, or memory), and
 * where its batches in flight live. The agent takes an outbox; this is where one is chosen.
 */
export async function openConfiguredOutbox(config: EdgeConfig, logger: Logger): Promise<ConfiguredOutbox> {
  if (config.outbox.kind === 'disk') {
    return {
      outbox: await openDiskOutbox({ dir: config.outbox.dir, maxBytes: config.outbox.maxBytes, logger: logger.child({ stage: 'outbox' }) }),
      sessionDir: config.outbox.dir,
    };
  }
  return { outbox: createMemoryOutbox({ maxBytes: config.outbox.maxBytes }), sessionDir: undefined };
}
