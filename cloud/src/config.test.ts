import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { isQingliuError } from '@qingliu/protocol';
import { CLOUD_DEFAULTS, loadCloudConfig, parseCloudConfig } from './config.js';

const sample = join(dirname(fileURLToPath(import.meta.url)), '..', 'cloud.sample.yaml');

describe('cloud config', () => {
  it('loads the commented sample and fills in the defaults', async () => {
    const config = await loadCloudConfig(sample);
    expect(config.embeddedBroker?.accounts).toHaveLength(2);
    expect(config.settlement?.pollutants).toEqual(['w01018', 'w21003']);
    const minimal = parseCloudConfig({ ...(parse(await readFile(sample, 'utf8')) as object), influx: { url: 'http://127.0.0.1:8086' } });
    expect(minimal.influx).toEqual({ url: 'http://127.0.0.1:8086', database: 'qingliu', timeoutMs: CLOUD_DEFAULTS.influxTimeoutMs });
  });

  it.each([
    [{ settlement: { pollutants: ['w99999'] } }, /settlement\.pollutants\.0/],
    [{ mqtt: { clientId: 'bad id!' } }, /mqtt\.clientId/],
    [{ influx: { url: 'not a url' } }, /influx\.url/],
    [{ extra: true }, /extra|Unrecognized/],
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
});
