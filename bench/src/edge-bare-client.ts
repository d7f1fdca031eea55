/**
 * The floor the edge agent is measured against: a bare Node process that
 * loads only mqtt and modbus-serial, reads the same requests from the same
 * devices back to back (one client per device) and publishes each poll's raw
 * registers as one JSON message, QoS 1, at most 64 unacknowledged per device.
 * No config schema, no logger, no signing, no outbox. Run by
 * edge-acquisition.ts as its own process (so its RSS can be read); prints
 * `{"registers","seconds"}` on stdout when done.
 *
 *   node bench/dist/edge-bare-client.js '<json: {brokerUrl, seconds, devices: [{host, port, unitId, requests}]}>'
 */
import ModbusSerial from 'modbus-serial';
import { connectAsync } from 'mqtt';

interface BareDevice {
  host: string;
  port: number;
  unitId: number;
  requests: { functionCode: 3 | 4; address: number; length: number }[];
}
const spec = JSON.parse(process.argv[2] ?? '{}') as { brokerUrl: string; seconds: number; devices: BareDevice[] };
const ModbusRTU = ModbusSerial.default;

const mqtt = await connectAsync(spec.brokerUrl, { username: 'bare', password: 'bare' });
const started = Date.now();
const end = started + spec.seconds * 1000;
let registers = 0;
await Promise.all(
  spec.devices.map(async (d, n) => {
    const client = new ModbusRTU();
    await client.connectTCP(d.host, { port: d.port });
    client.setID(d.unitId);
    const inFlight = new Set<Promise<unknown>>();
    for (let i = 0; i < 100_000_000 && Date.now() < end; i++) {
      const words: number[][] = [];
      for (const r of d.requests) {
        const answer = await (r.functionCode === 3 ? client.readHoldingRegisters(r.address, r.length) : client.readInputRegisters(r.address, r.length));
        words.push(answer.data);
        registers += r.length;
      }
      const sent = mqtt.publishAsync(`bare/${n}`, JSON.stringify({ ts: Date.now(), words }), { qos: 1 });
      inFlight.add(sent);
      void sent.finally(() => inFlight.delete(sent));
      if (inFlight.size >= 64) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    await new Promise<void>((resolve) => client.close(() => resolve()));
  }),
);
await mqtt.endAsync();
console.log(JSON.stringify({ registers, seconds: (Date.now() - started) / 1000 }));
