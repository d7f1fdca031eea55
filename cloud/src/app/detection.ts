import type { Logger } from 'pino';
import { QingliuError } from '@qingliu/protocol';
import { createEvmAlertLedger } from '../chain/evm-alert-ledger.js';
import type { CloudConfig } from '../config.js';
import { evmSettlementOf } from '../config.js';
import { startDetectionService } from '../detection/detection-service.js';
import type { DetectionService } from '../detection/detection-service.js';
import { createMqttAlertPublisher } from '../detection/mqtt-alert-publisher.js';
import type { PipelineAlert } from '../detection/alert-record.js';
import type { AlertLedger } from '../ports/alert-ledger.js';
import type { AlertStore } from '../ports/alert-store.js';
import type { ReadingStore } from '../ports/reading-store.js';
import type { DeviceRegistry } from '../registry/device-registry.js';
import { required } from './adapters.js';

export interface DetectionWiring {
  service: DetectionService;
  alerts: AlertStore;
  alertLedger: AlertLedger | undefined;
  close(): Promise<void>;
}

/** Detection as the config asks: its alert store, the MQTT publisher to the bureau and the AlertRegistry adapter. */
export async function startDetection(
  config: CloudConfig,
  ctx: {
    store: ReadingStore;
    alerts: AlertStore;
    registry: DeviceRegistry;
    mqttUrl: string;
    password: string | undefined;
    secret: (envName: string) => string | undefined;
    onAlert?: ((alert: PipelineAlert) => void) | undefined;
    logger: Logger;
  },
): Promise<DetectionWiring> {
  const d = config.detection!;
  const { logger } = ctx;
  const closers: (() => Promise<void>)[] = [];
  let alertLedger: AlertLedger | undefined;
  if (d.alertRegistryAddress) {
    const chain = evmSettlementOf(config);
    if (!chain) throw new QingliuError('CONFIG_INVALID', 'detection.alertRegistryAddress: needs settlement on an evm chain (the chain to record on)');
    alertLedger = await createEvmAlertLedger({
      rpcUrl: chain.rpcUrl,
      privateKey: required(ctx.secret, d.alertOracleKeyEnv, 'detection.alertOracleKeyEnv'),
      address: d.alertRegistryAddress,
      ...(chain.chain ? { profile: chain.chain } : {}),
      knownIds: ctx.registry.list().flatMap((device) => [device.enterprise, device.outfall]),
      logger: logger.child({ stage: 'chain' }),
    });
    const opened = alertLedger;
    closers.push(() => opened.close());
  }
  const publisher =
    d.publish && config.mqtt.username !== undefined && ctx.password !== undefined
      ? await createMqttAlertPublisher({ url: ctx.mqttUrl, username: config.mqtt.username, password: ctx.password, clientId: `${config.mqtt.clientId}-alerts` })
      : undefined;
  if (publisher) closers.push(() => publisher.close());
  const service = await startDetectionService({
    store: ctx.store,
    alerts: ctx.alerts,
    registry: ctx.registry,
    alertLedger,
    publish:
      publisher || ctx.onAlert
        ? async (alert) => {
            ctx.onAlert?.(alert);
            await publisher?.publish(alert);
          }
        : undefined,
    ...(d.detectors ? { detectors: d.detectors } : {}),
    sampleMs: d.sampleMs,
    historyMs: d.historyMs,
    detectMs: d.detectMs,
    closeAfterMs: d.closeAfterMs,
    intervalMs: d.intervalMs,
    logger: logger.child({ stage: 'detect' }),
  });
  return {
    service,
    alerts: ctx.alerts,
    alertLedger,
    async close() {
      await service.close();
      for (const close of closers.reverse()) await close();
    },
  };
}
