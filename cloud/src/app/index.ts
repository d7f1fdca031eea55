/** `@qingliu/cloud/app`: the cloud's composition root and its adapter table. */
export { startCloudApp } from './cloud-app.js';
export type { CloudApp, CloudAppOverrides } from './cloud-app.js';
export { openEmbeddedBroker, openLedger, openStoreAdapters } from './adapters.js';
export type { StoreAdapters } from './adapters.js';
