/** The reading store's contract (reading-store.suite.ts) against a real InfluxDB (Debian's influxd), a database per group of tests. */
import { startInfluxd } from '@qingliu/testkit';
import type { InfluxdServer } from '@qingliu/testkit';
import { createInfluxDedupeIndex } from './influx-dedupe-index.js';
import { encodeReadings } from './influx-encoder.js';
import { createInfluxStore } from './influx-store.js';
import { describeReadingStore } from './reading-store.suite.js';

let influxd: InfluxdServer;
let databases = 0;
beforeAll(async () => {
  influxd = await startInfluxd();
});
afterAll(async () => {
  await influxd?.stop();
});

describeReadingStore('InfluxDB', async () => {
  const connection = { url: influxd.url, database: `contract_${(databases += 1)}` };
  const store = await createInfluxStore(connection);
  return {
    store,
    dedupeIndex: createInfluxDedupeIndex(connection),
    encode: encodeReadings,
    views: [await createInfluxStore({ ...connection, rollups: false })],
    settle: () => store.flushRollups(),
  };
});
