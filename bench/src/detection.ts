/**
 * Detection cost: training time per outfall and scoring throughput
 * (readings/s: one reading = one channel value) of each detector and of the
 * default ensemble, on firmware-sim's scenario suite (minute data). The
 * baseline run in the same process is the global robust z-score (a median
 * and a MAD per channel: the least a detector does); ratios are against it.
 * Prints one JSON line last.
 *
 *   node bench/dist/detection.js [--outfalls 8] [--days 21] [--pattern dilution] [--autoencoder]
 */
import { parseArgs } from 'node:util';
import { DEFAULT_DETECTORS, createDetector, parseReadingsCsv, splitForFit } from '@qingliu/analytics';
import { suiteReadingsCsv, suiteScenario } from '@qingliu/firmware-sim';
import type { SuitePattern } from '@qingliu/firmware-sim';

const { values } = parseArgs({
  options: { outfalls: { type: 'string', default: '8' }, days: { type: 'string', default: '21' }, pattern: { type: 'string', default: 'dilution' }, autoencoder: { type: 'boolean', default: false } },
});
const outfalls = Number(values.outfalls);
const table = parseReadingsCsv(suiteReadingsCsv(suiteScenario({ pattern: values.pattern as SuitePattern, seed: 1, outfalls, days: Number(values.days) })));
const { train, test } = splitForFit(table, 0.7);
const count = (series: typeof train): number => series.reduce((n, s) => n + s.ts.length * Object.keys(s.channels).length, 0);
const trainReadings = count(train);
const testReadings = count(test);

interface Figures {
  name: string;
  fitMsPerOutfall: number;
  fitRps: number;
  detectRps: number;
}

async function measure(names: readonly string[]): Promise<Figures> {
  const detector = await createDetector(names);
  const t0 = performance.now();
  await detector.fit(train);
  const t1 = performance.now();
  await detector.detect(test);
  const t2 = performance.now();
  return { name: names.join('+'), fitMsPerOutfall: (t1 - t0) / outfalls, fitRps: trainReadings / ((t1 - t0) / 1000), detectRps: testReadings / ((t2 - t1) / 1000) };
}

const runs: string[][] = [['global-zscore'], ['residual'], ['flatline'], ['replay'], ['ph-range'], [...DEFAULT_DETECTORS]];
if (values.autoencoder) runs.push(['autoencoder']);
await measure(['global-zscore']); // warm-up
const baseline = await measure(['global-zscore']);
console.log(`${outfalls} outfalls x ${values.days} days of minute data: fit on ${trainReadings} readings, detect on ${testReadings}`);
console.log('detector                              fit ms/outfall   fit readings/s   detect readings/s   detect ratio vs global-zscore');
const results: Figures[] = [];
for (const names of runs) {
  const f = names.length === 1 && names[0] === 'global-zscore' ? baseline : await measure(names);
  results.push(f);
  console.log(`${f.name.padEnd(38)}${f.fitMsPerOutfall.toFixed(0).padStart(14)}${Math.round(f.fitRps).toString().padStart(17)}${Math.round(f.detectRps).toString().padStart(20)}${(f.detectRps / baseline.detectRps).toFixed(3).padStart(31)}`);
}
const ensemble = results.find((r) => r.name === DEFAULT_DETECTORS.join('+'))!;
const ae = results.find((r) => r.name === 'autoencoder');
console.log(
  JSON.stringify({
    ensemble_detect_rps: Math.round(ensemble.detectRps),
    ensemble_fit_ms_per_outfall: Math.round(ensemble.fitMsPerOutfall),
    baseline_detect_rps: Math.round(baseline.detectRps),
    ratio: Number((ensemble.detectRps / baseline.detectRps).toFixed(3)),
    ...(ae ? { autoencoder_fit_ms_per_outfall: Math.round(ae.fitMsPerOutfall), autoencoder_detect_rps: Math.round(ae.detectRps) } : {}),
  }),
);
