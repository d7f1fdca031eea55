/**
 * Needs Debian's `influxd` and `mosquitto` (scripts/install.sh installs them)
 * and the openssl command line. The same ingester, given only Mosquitto's
 * URL: once plain and anonymous, once over TLS with the accounts, client ids
 * and topic rules of the embedded broker, generated for Mosquitto's dynamic
 * security plugin (broker/mosquitto-security.ts).
 */
import { connectAsync } from 'mqtt';
import { startMosquitto } from '@qingliu/testkit';
import type { MosquittoServer } from '@qingliu/testkit';
import { mosquittoDynsecConfig } from '../broker/mosquitto-security.js';
import { SUITE_PASSWORDS, describeIngestOverBroker, subscribeGranted, suiteAccounts, suiteRegistry } from './ingester.suite.js';

describeIngestOverBroker('an external Mosquitto', async () => {
  const mosquitto = await startMosquitto();
  return { url: mosquitto.url, edge: {}, ingester: {}, stop: () => mosquitto.stop() };
});

let secured: MosquittoServer;
describeIngestOverBroker(
  'Mosquitto over TLS with the embedded broker\'s accounts (dynamic security)',
  async () => {
    const dynsec = mosquittoDynsecConfig({ accounts: suiteAccounts(), passwords: SUITE_PASSWORDS, registry: suiteRegistry });
    secured = await startMosquitto({ tls: true, dynsec });
    return {
      url: secured.url,
      ca: secured.ca!,
      edge: { username: 'edge-a', password: 'pw-a' },
      ingester: { username: 'ingester', password: 'pw-i' },
      intruder: { username: 'edge-b', password: 'pw-b' },
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

    it('answers an edge account that subscribes to the readings with SUBACK 0x80, as the embedded broker does', async () => {
      const snoop = await connectAsync(secured.url, { ca: secured.ca!, username: 'edge-b', password: 'pw-b', clientId: 'edge-b', reconnectPeriod: 0 });
      const granted = await subscribeGranted(snoop, ['qingliu/v1/+/+/readings', '$share/g/qingliu/v1/+/+/readings', '#'], { qos: 1 });
      expect(granted).toEqual([128, 128, 128]);
      await snoop.endAsync(true);
    });
  },
);
