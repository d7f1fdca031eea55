export * from './errors.js';
export * from './pollutants.js';
export * from './canonical.js';
export * from './reading.js';
export * from './topics.js';
export * from './signing.js';
export * from './merkle.js';
export * from './modbus-registers.js';
