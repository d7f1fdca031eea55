import { connect } from 'mqtt';
import type { IPublishPacket, MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { ALL_READINGS_TOPIC, QingliuError } from '@qingliu/protocol';
import { keepSubscribed } from './mqtt-subscription.js';

export interface MqttSourceOptions {
  url: string;
  username?: string;
  password?: string;
  /** A fixed id keeps the broker session (and its queued QoS 1 messages) across restarts. */
  clientId: string;
  /** Subscribe as `$share/<group>/...` so several ingesters split the load. */
  sharedGroup?: string;
  /** CA certificate(s) for mqtts:// brokers, PEM. */
  ca?: string | Buffer;
  /** MQTT connections sharing `sharedGroup` in this process (default 1). */
  connections?: number;
  /**
   * No other process subscribes in `sharedGroup` (default false). Then every message of a
   * device comes here, and a reading above the highest seq this ingester stored of its device
   * is new for sure. With other ingesters in the group it may have been stored by one of them
   * (a replay, or a copy of a message after a broker outage), so every reading is looked up.
   */
  aloneInGroup?: boolean;
}

/** Handles one message; resolves true to acknowledge it (PUBACK), false to leave it with the broker for the next session. */
export type MessageHandler = (topic: string, payload: Buffer) => Promise<boolean>;

export interface MqttSource {
  /** Stops taking messages. */
  close(): Promise<void>;
}

/**
 * The ingester's MQTT side: QoS 1 subscriptions to every plant's readings (persistent sessions,
 * `connections` of them on one shared subscription), each message acknowledged only when
 * `handle` says so. Resolves once every connection is subscribed.
 */
export async function openMqttSource(mqtt: MqttSourceOptions, handle: MessageHandler, logger: Logger): Promise<MqttSource> {
  const connections = mqtt.connections ?? 1;
  if (connections > 1 && !mqtt.sharedGroup) {
    throw new QingliuError('CONFIG_INVALID', 'mqtt.connections > 1 needs mqtt.sharedGroup (a broker with shared subscriptions)');
  }
  const topic = mqtt.sharedGroup ? `$share/${mqtt.sharedGroup}/${ALL_READINGS_TOPIC}` : ALL_READINGS_TOPIC;

  async function subscriber(clientId: string): Promise<MqttClient> {
    // The handler is set before connecting: a persistent session delivers queued
    // messages right after CONNACK, and none may be acknowledged unstored.
    const client: MqttClient = connect(mqtt.url, {
      clientId,
      clean: false,
      reconnectPeriod: 1000,
      ...(mqtt.username === undefined ? {} : { username: mqtt.username }),
      ...(mqtt.password === undefined ? {} : { password: mqtt.password }),
      ...(mqtt.ca === undefined ? {} : { ca: mqtt.ca }),
    });
    // mqtt.js sends the PUBACK when this callback is called: only after the store has the readings.
    client.handleMessage = (packet, callback) => {
      const publish = packet as IPublishPacket;
      const payload = Buffer.isBuffer(publish.payload) ? publish.payload : Buffer.from(publish.payload);
      handle(publish.topic, payload).then(
        (ack) => {
          if (ack) callback();
          // Not acknowledged: the broker redelivers it on the next session.
        },
        (error: unknown) => {
          logger.error({ err: error }, 'ingest failed');
          callback(error as Error);
        },
      );
    };
    await keepSubscribed(client, mqtt.url, topic, logger);
    return client;
  }

  // Each connection handles one message at a time; several overlap one message's checks with another's write.
  const clients: MqttClient[] = [];
  for (let i = 0; i < connections; i += 1) {
    clients.push(await subscriber(connections === 1 ? mqtt.clientId : `${mqtt.clientId}-${i}`));
  }
  logger.info({ topic, url: mqtt.url, connections }, 'ingester subscribed');
  return {
    async close() {
      await Promise.all(clients.map((client) => client.endAsync()));
    },
  };
}
