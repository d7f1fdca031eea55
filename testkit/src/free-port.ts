import { createServer } from 'node:net';

/**
 * A TCP port that was free on 127.0.0.1 a moment ago. For servers that cannot
 * listen on port 0 and report back (influxd, mosquitto, anvil); the tiny race
 * with other processes is accepted in tests.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
