/** For the API's tests: the server on a given store, with a bureau and one enterprise (ent-a) token. */
import { emptyIngestStats } from '../ingest/ingest-stats.js';
import type { ReadingStore } from '../ports/reading-store.js';
import type { DeviceRegistry } from '../registry/device-registry.js';
import { startApiServer } from './api-server.js';
import type { ApiServer, ApiServerParameters } from './api-server.js';
import { hashApiToken } from './roles.js';

export function startTestApi(params: {
  store: ReadingStore;
  registry: DeviceRegistry;
  tokens: { bureau: string; 'ent-a': string };
  more?: Partial<ApiServerParameters>;
}): Promise<ApiServer> {
  return startApiServer({
    store: params.store,
    registry: params.registry,
    metrics: { ingest: emptyIngestStats, batchesSettled: () => 0 },
    status: async () => ({}),
    tokens: [
      { sha256: hashApiToken(params.tokens.bureau), role: 'bureau' },
      { sha256: hashApiToken(params.tokens['ent-a']), role: 'enterprise', enterprise: 'ent-a' },
    ],
    ...params.more,
  });
}
