/**
 * Needs Debian's `influxd` and `mosquitto` (scripts/install.sh installs them).
 * The same ingester, given only Mosquitto's URL. Mosquitto's own auth and ACL
 * files come with the broker issue; here it allows anonymous clients on loopback.
 */
import { startMosquitto } from '@qingliu/testkit';
import { describeIngestOverBroker } from './ingester.suite.js';

describeIngestOverBroker('an external Mosquitto', async () => {
  const mosquitto = await startMosquitto();
  return { url: mosquitto.url, edge: {}, ingester: {}, stop: () => mosquitto.stop() };
});
