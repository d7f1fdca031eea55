import { createMemoryOutbox } from './memory-outbox.js';
import { describeOutboxContract } from './outbox.contract.js';

describeOutboxContract('memory outbox', async () => createMemoryOutbox());
