export * from './outfall-model.js';
export * from './register-map.js';
export * from './modbus-device.js';
export * from './scenario.js';
export * from './scenario-model.js';
export * from './plant.js';
export * from './scenario-suite.js';
export * from './river.js';
