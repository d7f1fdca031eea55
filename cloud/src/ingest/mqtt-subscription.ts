import type { ISubscriptionMap, MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { QingliuError } from '@qingliu/protocol';

/**
 * Waits for `client`'s first connection (BROKER_UNAVAILABLE if it fails), then
 * subscribes to `topic` at QoS 1 and keeps the subscription: it subscribes
 * again on every reconnect, even when the broker says the session is present.
 * Mosquitto 2.0.11 restores a persistent session after a restart without its
 * shared subscriptions, and mqtt.js resubscribes only when the session is not
 * present; without this a subscriber would wait for ever while the broker
 * acknowledged the agents' messages to nobody.
 */
export async function keepSubscribed(client: MqttClient, url: string, topic: string, logger: Logger): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      client.end(true);
      reject(new QingliuError('BROKER_UNAVAILABLE', `cannot connect to ${url}`, { retryable: true, cause: error, details: error.message }));
    };
    client.once('connect', () => {
      client.off('error', onError);
      resolve();
    });
    client.once('error', onError);
  });
  client.on('error', (error) => logger.warn({ err: error }, 'mqtt error'));
  await client.subscribeAsync(topic, { qos: 1 });
  client.on('connect', () => {
    // `resubscribe`: mqtt.js otherwise skips a topic it believes it is subscribed to.
    const again = { [topic]: { qos: 1 } } as ISubscriptionMap;
    again.resubscribe = true;
    client.subscribe(again, (error) => {
      if (error) logger.warn({ err: error, topic }, 'could not subscribe again after reconnecting');
      else logger.info({ topic }, 'subscribed again after reconnecting');
    });
  });
}
