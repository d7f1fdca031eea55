/**
 * The analytics entry point: the detector port and its detectors, the series
 * they read, scoring against labels and the GECCO adapter, and upstream
 * traceability. What needs more than these (the TensorFlow.js autoencoder,
 * loaded by the ensemble when named; the scenario suite, which generates its
 * data with firmware-sim) is imported by its own path, e.g.
 * `@qingliu/analytics/scoring/suite-report.js`.
 */
export * from './detectors/detector.js';
export * from './detectors/runs.js';
export * from './detectors/warmup.js';
export * from './detectors/rolling-z.js';
export * from './detectors/seasonal-baseline.js';
export * from './detectors/zscore-detector.js';
export * from './detectors/flatline-detector.js';
export * from './detectors/ph-range-detector.js';
export * from './detectors/residual-detector.js';
export * from './detectors/replay-detector.js';
export * from './detectors/change-point-detector.js';
export * from './detectors/ensemble-detector.js';
export * from './series/robust-stats.js';
export * from './series/series-math.js';
export * from './series/readings-csv.js';
export * from './series/synthetic-series.js';
export * from './scoring/labels.js';
export * from './scoring/scoring.js';
export * from './scoring/gecco-adapter.js';
export * from './traceability/traceability.js';
