import type { SavedOutfallModel } from './autoencoder-detector.js';
import { AutoencoderDetector } from './autoencoder-detector.js';
import type { OutfallSeries } from './detector.js';
import { fixture, withPattern } from './detector-fixtures.js';

const one = (): { train: OutfallSeries[]; test: OutfallSeries[] } => {
  const { train, test } = fixture(4);
  return { train: train.slice(0, 1), test: test.slice(0, 1) };
};

describe('AutoencoderDetector (TensorFlow.js)', () => {
  const { train, test } = one();
  const d = new AutoencoderDetector();
  beforeAll(async () => {
    await d.fit(train);
  });
  afterAll(() => d.dispose());

  it('stays silent on clean data', async () => {
    expect(await d.detect(test)).toEqual([]);
  });

  it('finds a bypass dump and a dilution it never saw while fitting, from their first sample', async () => {
    const dumped = await d.detect(withPattern(test, { kind: 'bypass-dump', factor: 3 }, 300, 20));
    expect(dumped.map((a) => [a.kind, a.start])).toEqual([['anomaly', test[0]!.ts[300]]]);
    expect(dumped[0]!.evidence.readings[0]!.value).toBeGreaterThan(dumped[0]!.evidence.readings[0]!.expected);
    const diluted = await d.detect(withPattern(test, { kind: 'dilution', factor: 3 }, 600, 20));
    expect(diluted.map((a) => [a.kind, a.start])).toEqual([['anomaly', test[0]!.ts[600]]]);
  });

  it('a model saved in memory, stored as JSON and loaded again gives the same alerts', async () => {
    const saved = await d.save();
    // What a model store would keep: JSON, with the weights as base64.
    const stored = JSON.stringify(saved.map((m) => ({ ...m, artifacts: { ...m.artifacts, weightData: Buffer.from(m.artifacts.weightData as ArrayBuffer).toString('base64') } })));
    const restored = (JSON.parse(stored) as (SavedOutfallModel & { artifacts: { weightData: string } })[]).map((m) => {
      const bytes = Buffer.from(m.artifacts.weightData, 'base64');
      return { ...m, artifacts: { ...m.artifacts, weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) } };
    });
    const loaded = new AutoencoderDetector();
    await loaded.load(restored, train);
    const input = withPattern(test, { kind: 'spike', channel: 'cod', factor: 4 }, 100, 3);
    const before = await d.detect(input);
    expect(before).toHaveLength(1);
    expect(await loaded.detect(input)).toEqual(before);
    loaded.dispose();
  });
});
