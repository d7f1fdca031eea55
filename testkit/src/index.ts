export * from './free-port.js';
export * from './server-process.js';
export * from './influxd.js';
export * from './mosquitto.js';
export * from './anvil.js';
export * from './tls-certificates.js';
export * from './wait-for.js';
