import { createMemoryOutbox } from './memory-outbox.js';
import { describeOutboxContract } from './outbox.contract.js';

describeOutboxContract('memory outbox', { create: async (options = {}) => createMemoryOutbox(options) });
