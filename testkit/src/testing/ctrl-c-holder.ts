/**
 * For server-process.test.ts: starts influxd (in its own process group when
 * argv[2] is "own"), prints its URL, and on SIGINT says whether influxd still
 * answers, then stops it. With argv[3] "exit" it exits on SIGINT without stopping it.
 */
import { startInfluxd } from '../influxd.js';

const influxd = await startInfluxd({ ownProcessGroup: process.argv[2] === 'own' });
process.once('SIGINT', () => {
  void (async () => {
    // The demo's own work after a Ctrl-C (settling the open period) takes seconds: ask a moment later.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const answers = await fetch(`${influxd.url}/ping`).then((r) => r.status === 204, () => false);
    console.log(`answers after Ctrl-C: ${answers}`);
    if (process.argv[3] === 'exit') process.exit(0);
    await influxd.stop();
    process.exit(0);
  })();
});
console.log(`ready ${influxd.pid} ${influxd.dataDir}`);
