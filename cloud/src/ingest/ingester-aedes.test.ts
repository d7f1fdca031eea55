/**
 * Needs Debian's `influxd` (scripts/install.sh installs it); the broker is aedes in-process.
 */
import { connectAsync } from 'mqtt';
import { readingsTopic } from '@qingliu/protocol';
import type { EmbeddedBroker } from '../broker/embedded-broker.js';
import { waitFor } from '@qingliu/testkit';
import { describeIngestOverBroker, startSuiteAedes, suitePayload, suiteReadings } from './ingester.suite.js';
import type { IngestSuiteContext, SuiteBroker } from './ingester.suite.js';

let broker: EmbeddedBroker;

async function startAedes(): Promise<SuiteBroker> {
  broker = await startSuiteAedes();
  return {
    url: broker.url,
    edge: { username: 'edge-a', password: 'pw-a' },
    ingester: { username: 'ingester', password: 'pw-i' },
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
      const intruder = await connectAsync(broker.url, { username: 'edge-a', password: 'pw-a', clientId: 'intruder', reconnectPeriod: 0 });
      intruder.on('error', () => undefined);
      intruder.publish(readingsTopic('ent-b', 'dev-b'), suitePayload(suiteReadings(1)), { qos: 1 });
      await waitFor(() => broker.refusals().publish > before, 5000, 'the refusal');
      await intruder.endAsync(true);
      expect(context.ingester.stats().messages).toBe(messages);
    });

    it('refuses an edge account that tries to read the raw readings', async () => {
      const before = broker.refusals().subscribe;
      const snoop = await connectAsync(broker.url, { username: 'edge-a', password: 'pw-a', clientId: 'snoop', reconnectPeriod: 0 });
      snoop.on('error', () => undefined);
      // aedes answers a refused subscription by closing the connection.
      await expect(snoop.subscribeAsync('qingliu/v1/+/+/readings', { qos: 1 })).rejects.toThrow();
      await snoop.endAsync(true);
      expect(broker.refusals().subscribe).toBe(before + 1);
    });
  });
}

describeIngestOverBroker('the embedded aedes broker', startAedes, accessControl);

describeIngestOverBroker('the embedded aedes broker', startAedes, undefined, { journal: true });
