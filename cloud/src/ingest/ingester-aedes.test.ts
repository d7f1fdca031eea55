/**
 * Needs Debian's `influxd` (scripts/install.sh installs it); the broker is aedes in-process.
 */
import { connectAsync } from 'mqtt';
import { readingsTopic } from '@qingliu/protocol';
import type { EmbeddedBroker } from '../broker/embedded-broker.js';
import { waitFor } from '@qingliu/testkit';
import { describeIngestOverBroker, subscribeGranted, startSuiteAedes, suitePayload, suiteReadings } from './ingester.suite.js';
import type { IngestSuiteContext, SuiteBroker } from './ingester.suite.js';

let broker: EmbeddedBroker;

async function startAedes(): Promise<SuiteBroker> {
  broker = await startSuiteAedes();
  return {
    url: broker.url,
    edge: { username: 'edge-a', password: 'pw-a' },
    ingester: { username: 'ingester', password: 'pw-i' },
    intruder: { username: 'edge-b', password: 'pw-b' },
    stop: () => broker.close(),
  };
}

function accessControl(context: IngestSuiteContext): void {
  describe('access control', () => {
    it('refuses a client with a wrong password', async () => {
      await expect(
        connectAsync(broker.url, { username: 'edge-a', password: 'nope', reconnectPeriod: 0, connectTimeout: 2000 }),
      ).rejects.toThrow();
      expect(broker.refusals().connect).toBeGreaterThan(0);
    });

    it("refuses a publish on another enterprise's topic, and nothing of it reaches the ingester", async () => {
      const before = broker.refusals().publish;
      const messages = context.ingester.stats().messages;
      const intruder = await connectAsync(broker.url, { username: 'edge-b', password: 'pw-b', clientId: 'edge-b', reconnectPeriod: 0 });
      intruder.on('error', () => undefined);
      intruder.publish(readingsTopic('ent-a', 'dev-a'), suitePayload(suiteReadings(1)), { qos: 1 });
      await waitFor(() => broker.refusals().publish > before, 5000, 'the refusal');
      await intruder.endAsync(true);
      expect(context.ingester.stats().messages).toBe(messages);
    });

    it('answers an edge account that tries to read the raw readings with SUBACK 0x80, and keeps the connection', async () => {
      const before = broker.refusalsByReason();
      const snoop = await connectAsync(broker.url, { username: 'edge-a', password: 'pw-a', clientId: 'edge-a', reconnectPeriod: 0 });
      const granted = await subscribeGranted(snoop, 'qingliu/v1/+/+/readings', { qos: 1 });
      expect(granted).toEqual([128]);
      expect(snoop.connected).toBe(true);
      await snoop.endAsync(true);
      expect(broker.refusalsByReason()['subscribe-not-allowed']).toBe(before['subscribe-not-allowed'] + 1);
    });

    it('counts refused connections by reason: a wrong password, and a client id of another account', async () => {
      const before = broker.refusalsByReason();
      await expect(connectAsync(broker.url, { username: 'edge-b', password: 'pw-b', clientId: 'edge-a', reconnectPeriod: 0, connectTimeout: 2000 })).rejects.toThrow(/not authorized/i);
      await expect(connectAsync(broker.url, { username: 'edge-b', password: 'pw-b', clientId: '', clean: true, reconnectPeriod: 0, connectTimeout: 2000 })).rejects.toThrow(/not authorized/i);
      const after = broker.refusalsByReason();
      expect(after['client-id-not-owned']).toBe(before['client-id-not-owned'] + 2);
      expect(after['bad-credentials']).toBe(before['bad-credentials']);
    });
  });
}

describeIngestOverBroker('the embedded aedes broker', startAedes, accessControl);

describeIngestOverBroker('the embedded aedes broker', startAedes, undefined, { journal: true });
