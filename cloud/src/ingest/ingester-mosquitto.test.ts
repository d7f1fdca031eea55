/**
 * Needs Debian's `influxd` and `mosquitto` (scripts/install.sh installs them)
 * and the openssl command line. The same ingester, given only Mosquitto's
 * URL: once plain and anonymous, once over TLS with passwords.
 */
import { connectAsync } from 'mqtt';
import { startMosquitto } from '@qingliu/testkit';
import type { MosquittoServer } from '@qingliu/testkit';
import { describeIngestOverBroker } from './ingester.suite.js';

describeIngestOverBroker('an external Mosquitto', async () => {
  const mosquitto = await startMosquitto();
  return { url: mosquitto.url, edge: {}, ingester: {}, stop: () => mosquitto.stop() };
});

let secured: MosquittoServer;
describeIngestOverBroker(
  'Mosquitto over TLS with passwords',
  async () => {
    secured = await startMosquitto({ tls: true, users: { 'edge-a': 'pw-a', ingester: 'pw-i' } });
    return {
      url: secured.url,
      ca: secured.ca!,
      edge: { username: 'edge-a', password: 'pw-a' },
      ingester: { username: 'ingester', password: 'pw-i' },
      stop: () => secured.stop(),
    };
  },
  () => {
    it('is served over TLS and refuses a wrong password and an untrusted certificate', async () => {
      expect(secured.url).toMatch(/^mqtts:/);
      await expect(
        connectAsync(secured.url, { ca: secured.ca!, username: 'edge-a', password: 'nope', reconnectPeriod: 0, connectTimeout: 3000 }),
      ).rejects.toThrow();
      await expect(
        connectAsync(secured.url, { username: 'edge-a', password: 'pw-a', reconnectPeriod: 0, connectTimeout: 3000 }),
      ).rejects.toThrow(/certificate/);
    });
  },
);
