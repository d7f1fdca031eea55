import { describeLedgerContract } from './ledger.suite.js';
import { createMemoryLedger } from './memory-ledger.js';

describeLedgerContract('in memory', async () => {
  const ledger = createMemoryLedger();
  return {
    ledger,
    allocate: async (enterprise, pollutant, milligrams) => ledger.allocate(enterprise, pollutant, milligrams),
    close: () => ledger.close(),
  };
});
