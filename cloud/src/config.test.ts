import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { isQingliuError } from '@qingliu/protocol';
import { CLOUD_DEFAULTS, loadCloudConfig, parseCloudConfig, settlementPeriodOf } from './config.js';

const sample = join(dirname(fileURLToPath(import.meta.url)), '..', 'cloud.sample.yaml');

describe('cloud config', () => {
  it('loads the commented sample and fills in the defaults', async () => {
    const config = await loadCloudConfig(sample);
    expect(config.embeddedBroker?.accounts.map((a) => a.role)).toEqual(['edge', 'ingester', 'bureau']);
    expect(config.settlement?.pollutants).toEqual(['w01018', 'w21003']);
    expect(config.api.tokens.map((t) => t.role)).toEqual(['bureau', 'enterprise']);
    expect(config.api.limits[0]).toEqual({ pollutant: 'w01018', max: 50, source: 'GB 18918-2002 class 1A' });
    const minimal = parseCloudConfig({ ...(parse(await readFile(sample, 'utf8')) as object), influx: { url: 'http://127.0.0.1:8086' } });
    expect(minimal.influx).toEqual({ url: 'http://127.0.0.1:8086', database: 'qingliu', timeoutMs: CLOUD_DEFAULTS.influxTimeoutMs });
    expect(config.detection).toMatchObject({ sampleMs: 60_000, detectMs: 3_600_000, publish: true, alertOracleKeyEnv: 'QINGLIU_ALERT_ORACLE_KEY' });
    expect(config.detection?.detectors).toBeUndefined();
  });

  it.each([
    [{ settlement: { pollutants: ['w99999'] } }, /settlement\.pollutants\.0/],
    [{ mqtt: { clientId: 'bad id!' } }, /mqtt\.clientId/],
    [{ influx: { url: 'not a url' } }, /influx\.url/],
    [{ extra: true }, /extra|Unrecognized/],
    [{ api: { tokens: [{ sha256: 'not-a-hash', role: 'bureau' }] } }, /api\.tokens\.0\.sha256/],
    [{ api: { tokens: [{ sha256: 'a'.repeat(64), role: 'enterprise' }] } }, /api\.tokens\.0\.enterprise/],
    [{ api: { limits: [{ pollutant: 'w01018' }] } }, /api\.limits\.0/],
    [{ detection: { detectors: ['residual', 'crystal-ball'] } }, /detection\.detectors\.1/],
    [{ detection: { alertRegistryAddress: '0x12' } }, /detection\.alertRegistryAddress/],
    [
      { embeddedBroker: { port: 0, accounts: [{ username: 'e', passwordHash: 'scrypt$0$0', role: 'edge', enterprise: 'ent-a', agentId: 'ingester-x' }, { username: 'ingester', passwordHash: 'scrypt$0$0', role: 'ingester' }] } },
      /embeddedBroker\.accounts.*share client id ingester-x/,
    ],
  ])('refuses %j naming the bad field', async (change, named) => {
    const base = parse(await readFile(sample, 'utf8')) as Record<string, Record<string, unknown>>;
    const input: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(change)) {
      input[key] = typeof value === 'object' && base[key] ? { ...base[key], ...value } : value;
    }
    try {
      parseCloudConfig(input, 'test.yaml');
      throw new Error('accepted');
    } catch (error) {
      expect(isQingliuError(error, 'CONFIG_INVALID')).toBe(true);
      expect((error as Error).message).toMatch(named);
    }
  });

  it('gives an ingester that does not settle the deployment\'s settlement period, so its readings land in batches the settler closes', async () => {
    const base = parse(await readFile(sample, 'utf8')) as Record<string, unknown>;
    const { settlement, settlementPeriodMs: _period, ...worker } = base;
    expect(settlementPeriodOf(parseCloudConfig({ ...worker, settlementPeriodMs: 5000 }))).toBe(5000);
    expect(settlementPeriodOf(parseCloudConfig({ ...worker, settlementPeriodMs: 5000, settlement }))).toBe(5000);
    // The older spelling inside the settlement block still counts; without either, one hour.
    expect(settlementPeriodOf(parseCloudConfig({ ...worker, settlement: { ...(settlement as object), periodMs: 5000 } }))).toBe(5000);
    expect(settlementPeriodOf(parseCloudConfig(worker))).toBe(CLOUD_DEFAULTS.settlementPeriodMs);
    expect(() => parseCloudConfig({ ...worker, settlementPeriodMs: 5000, settlement: { ...(settlement as object), periodMs: 6000 } })).toThrow(/settlementPeriodMs/);
  });
});
