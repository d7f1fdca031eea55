/**
 * The composition root on the in-memory adapters (store: memory, chain: memory) and the embedded
 * broker: no InfluxDB, no chain node. Signed readings go in over MQTT, are stored, settled and
 * charged, and the API serves them: the same wiring main.ts runs, with other adapters behind the ports.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { pino } from 'pino';
import { BATCH_VERSION, generateDeviceKeyPair, readingsTopic, signBatch } from '@qingliu/protocol';
import type { Reading } from '@qingliu/protocol';
import { waitFor } from '@qingliu/testkit';
import { hashPassword } from '../broker/passwords.js';
import { parseCloudConfig } from '../config.js';
import { hashApiToken } from '../http/roles.js';
import { DeviceRegistry } from '../registry/device-registry.js';
import { startCloudApp } from './cloud-app.js';
import type { CloudApp } from './cloud-app.js';

const key = generateDeviceKeyPair();
const registry = new DeviceRegistry([{ device: 'dev-a', enterprise: 'ent-a', outfall: 'out-a', publicKey: key.publicKeyHex, sampleIntervalMs: 1000 }]);

describe('startCloudApp on the in-memory store and ledger', () => {
  let app: CloudApp;
  let folder: string;
  const dir = (): string => folder;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'qingliu-app-'));
    const config = parseCloudConfig({
      adapters: { store: 'memory', chain: 'memory' },
      embeddedBroker: {
        port: 0,
        accounts: [
          { username: 'edge-a', passwordHash: hashPassword('pw-a'), role: 'edge', enterprise: 'ent-a' },
          { username: 'ingester', passwordHash: hashPassword('pw-i'), role: 'ingester' },
        ],
      },
      mqtt: { username: 'ingester', password: 'pw-i', clientId: 'ingester-1' },
      registryFile: '(given)',
      deadLetterDir: join(dir(), 'dead-letters'),
      settlement: { periodMs: 1000, pollutants: ['w01018'], journalPath: join(dir(), 'settlements.jsonl') },
      http: { port: 0 },
      api: { tokens: [{ sha256: hashApiToken('tok-bureau'), role: 'bureau' }] },
    });
    app = await startCloudApp(config, { logger: pino({ level: 'silent' }), registry });
  });

  afterAll(async () => {
    await app?.close({ settleOpenBatch: false });
    await rm(folder, { recursive: true, force: true });
  });

  it('stores, settles and charges signed readings, with nothing but the config naming the adapters', async () => {
    const t0 = Date.now();
    const readings: Reading[] = [0, 1, 2, 3].flatMap((i) => [
      { enterprise: 'ent-a', outfall: 'out-a', device: 'dev-a', pollutant: 'w00000', value: 36, unit: 'm3/h', ts: t0 + i * 1000, seq: 2 * i, flag: 'N' },
      { enterprise: 'ent-a', outfall: 'out-a', device: 'dev-a', pollutant: 'w01018', value: 50, unit: 'mg/L', ts: t0 + i * 1000, seq: 2 * i + 1, flag: 'N' },
    ]);
    const edge = await connectAsync(app.mqttUrl, { username: 'edge-a', password: 'pw-a', clientId: 'edge-a' });
    await edge.publishAsync(readingsTopic('ent-a', 'dev-a'), JSON.stringify(signBatch({ v: BATCH_VERSION, enterprise: 'ent-a', device: 'dev-a', readings }, key.privateKeyPem)), { qos: 1 });
    await edge.endAsync();
    await waitFor(() => app.cloud.ingester.stats().stored === 8, 5000, 'the 8 readings stored');
    // 36 m3/h x 1 s x 50 mg/L per COD sample: 500 mg each, 2,000 mg in all, charged once the period closes.
    await waitFor(async () => (await app.ledger!.balanceOf('ent-a', 'w01018')) === -2000n, 10_000, 'the COD charged');
    const status = (await (await fetch(`${app.http.url}/status`)).json()) as { batchesSettled: number };
    expect(status.batchesSettled).toBeGreaterThanOrEqual(1);
    const answer = await fetch(`${app.http.url}/api/v1/readings?from=${t0 - 1}&to=${t0 + 10_000}`, { headers: { authorization: 'Bearer tok-bureau' } });
    expect(((await answer.json()) as { readings: unknown[] }).readings).toHaveLength(8);
  });

  it('refuses a config without InfluxDB when the store is InfluxDB, naming the field', () => {
    expect(() => parseCloudConfig({ mqtt: { clientId: 'i' }, registryFile: 'x', deadLetterDir: 'y' })).toThrow(/influx: required with adapters.store influx/);
    expect(() =>
      parseCloudConfig({ adapters: { store: 'memory' }, mqtt: { clientId: 'i' }, registryFile: 'x', deadLetterDir: 'y', settlement: { pollutants: ['w01018'], journalPath: 'j' } }),
    ).toThrow(/settlement.rpcUrl: required with adapters.chain evm/);
  });
});
