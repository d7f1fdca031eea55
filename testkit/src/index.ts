export * from './free-port.js';
export * from './server-process.js';
