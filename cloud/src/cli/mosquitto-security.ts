#!/usr/bin/env node
/**
 * Writes Mosquitto 2.0's dynamic security config for Qingliu's broker accounts: the
 * same client-id binding and topic rules as the embedded broker (broker/broker-accounts.ts).
 *
 *   node cloud/dist/cli/mosquitto-security.js --accounts accounts.yaml --passwords passwords.json \
 *     --enrolment enrolment.json --out /etc/mosquitto/qingliu
 *
 * accounts.yaml: `accounts:` as in the cloud config's `embeddedBroker.accounts`;
 * passwords.json: {"<username>": "<password>"} (kept by whoever makes the accounts);
 * enrolment.json: the cloud's registryFile. Writes `dynamic-security.json` (mode 600)
 * and `qingliu-mosquitto.conf` (the lines to include in mosquitto.conf; Mosquitto must be able to
 * read the JSON file: `chown mosquitto` it when the broker runs as that user). Run it again,
 * and restart Mosquitto, after enrolling devices or accounts. Exit 0, or 2 with the reason.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { z } from 'zod';
import { mosquittoDynsecConfig, mosquittoDynsecConfLines } from '../broker/mosquitto-security.js';
import { brokerAccountSchema } from '../config.js';
import { DeviceRegistry } from '../registry/device-registry.js';

const USAGE = 'usage: mosquitto-security --accounts <accounts.yaml> --passwords <passwords.json> --enrolment <enrolment.json> --out <dir>';

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ options: { accounts: { type: 'string' }, passwords: { type: 'string' }, enrolment: { type: 'string' }, out: { type: 'string' } } }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!values.accounts || !values.passwords || !values.enrolment || !values.out) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  try {
    const accounts = z.strictObject({ accounts: z.array(brokerAccountSchema).min(1) }).safeParse(parse(await readFile(values.accounts, 'utf8')));
    if (!accounts.success) {
      const issue = accounts.error.issues[0];
      throw new Error(`${values.accounts}: ${issue?.path.join('.')}: ${issue?.message}`);
    }
    const passwords = z.record(z.string(), z.string().min(1)).parse(JSON.parse(await readFile(values.passwords, 'utf8')));
    const registry = await DeviceRegistry.load(values.enrolment);
    const config = mosquittoDynsecConfig({ accounts: accounts.data.accounts, passwords, registry });
    const out = resolve(values.out);
    await mkdir(out, { recursive: true });
    const dynsecFile = join(out, 'dynamic-security.json');
    await writeFile(dynsecFile, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    await writeFile(join(out, 'qingliu-mosquitto.conf'), `${mosquittoDynsecConfLines(dynsecFile).join('\n')}\n`);
    process.stdout.write(`wrote ${dynsecFile} (${config.clients.length} accounts) and ${join(out, 'qingliu-mosquitto.conf')}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`mosquitto-security: ${(error as Error).message}\n`);
    return 2;
  }
}

process.exitCode = await main();
