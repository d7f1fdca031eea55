/**
 * An RTU device whose serial link fails: the socat pair (the "cable") is
 * killed with SIGKILL and started again at the same paths, with pymodbus as
 * the device on the other end. The poller marks the device offline, keeps
 * trying with its backoff, and reads it again once the line is back.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@qingliu/testkit';
import { parseEdgeConfig } from './config.js';
import { createDevicePoller } from './modbus-poller.js';
import type { DeviceStatus, PolledSample } from './modbus-poller.js';
import { startPyModbus, startSerialPair } from './test-support/peer-processes.js';
import type { PeerProcess } from './test-support/peer-processes.js';

describe('RTU device after the serial link fails', () => {
  it('is marked offline while the line is gone and read again once it is back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qingliu-rtu-'));
    const links: [string, string] = [join(dir, 'device-end'), join(dir, 'agent-end')];
    const peers: PeerProcess[] = [];
    const startLine = async (): Promise<void> => {
      peers.push(await startSerialPair(links));
      peers.push(await startPyModbus(['rtu', links[0], '19200']));
    };
    const stopLine = async (): Promise<void> => {
      // The cable first (socat killed outright), then the device process on its dead end.
      const [line, device] = peers.splice(0);
      line!.child.kill('SIGKILL');
      await line!.stop();
      await device!.stop();
    };
    const device = parseEdgeConfig({
      agentId: 'edge-rtu',
      enterprise: 'ent-r',
      mqtt: { url: 'mqtt://127.0.0.1:1', username: 'u', password: 'p' },
      keyDir: '/tmp/unused',
      devices: [
        {
          id: 'rtu-1',
          outfall: 'out-1',
          transport: 'rtu',
          path: links[1],
          baudRate: 19200,
          unitId: 1,
          timeoutMs: 300,
          pollIntervalMs: 50,
          points: [{ pollutant: 'w01018', functionCode: 3, address: 0, type: 'int16' }],
        },
      ],
    }).devices[0]!;
    const samples: PolledSample[] = [];
    const statuses: DeviceStatus[] = [];
    const poller = createDevicePoller({
      device,
      onSamples: (s) => samples.push(...s),
      onStatus: (s) => statuses.push(s),
      reconnectMaxDelayMs: 400,
    });
    try {
      await startLine();
      poller.start();
      await waitFor(() => samples.length >= 3, 5000, 'readings over the first line');
      expect(samples[0]!.value).toBe(-12345);

      await stopLine();
      await waitFor(() => statuses.at(-1)?.online === false, 5000, 'the device marked offline');
      const before = samples.length;
      // Still failing a while later: nothing is read from a line that is not there.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(samples.length).toBe(before);

      await startLine();
      await waitFor(() => samples.length >= before + 3, 8000, 'readings over the line started again');
      expect(statuses.map((s) => s.online)).toEqual([true, false, true]);
      expect(samples.at(-1)!.value).toBe(-12345);
    } finally {
      await poller.close();
      for (const peer of peers.splice(0).reverse()) await peer.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
