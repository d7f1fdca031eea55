/**
 * The bureau's client on a real anvil node: deploy helpers for the three contracts, then
 * permits, a cap split, the warning horizon, registry enrolment and the blacklist, each
 * read back from the chain.
 */
import { Wallet, hexlify, keccak256, randomBytes, toUtf8Bytes } from 'ethers';
import { largestRemainderSplit } from '@qingliu/contracts';
import { rejection, startAnvil } from '@qingliu/testkit';
import type { AnvilServer } from '@qingliu/testkit';
import { createBureauClient } from './bureau-client.js';
import type { BureauClient } from './bureau-client.js';
import { deployBlacklist, deployEmissionLedger, deployEnterpriseRegistry } from './deploy.js';

let anvil: AnvilServer;
let bureau: BureauClient;
const addresses = { ledger: '', registry: '', blacklist: '' };

beforeAll(async () => {
  anvil = await startAnvil();
  const [adminKey, bureauKey, oracleKey] = anvil.accounts as [string, string, string];
  const common = { rpcUrl: anvil.rpcUrl, deployerKey: adminKey, bureau: new Wallet(bureauKey).address };
  addresses.ledger = (await deployEmissionLedger({ ...common, oracle: new Wallet(oracleKey).address })).address;
  addresses.registry = (await deployEnterpriseRegistry(common)).address;
  addresses.blacklist = (await deployBlacklist(common)).address;
  bureau = await createBureauClient({
    rpcUrl: anvil.rpcUrl,
    privateKey: bureauKey,
    address: addresses.ledger,
    registry: addresses.registry,
    blacklist: addresses.blacklist,
  });
});

afterAll(async () => {
  await bureau?.close();
  await anvil?.stop();
});


describe('deploy helpers', () => {
  test('deploy each contract, returning its address from the receipt and the deployment block', async () => {
    const deployed = await deployBlacklist({ rpcUrl: anvil.rpcUrl, deployerKey: anvil.accounts[0]!, bureau: new Wallet(anvil.accounts[1]!).address });
    expect(deployed).toEqual({ address: expect.stringMatching(/^0x[0-9a-fA-F]{40}$/), txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/), blockNumber: expect.any(Number) });
    for (const address of [...Object.values(addresses), deployed.address]) {
      const code = (await fetch(anvil.rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getCode', params: [address, 'latest'] }),
      }).then((r) => r.json())) as { result: string };
      expect(code.result.length).toBeGreaterThan(2);
    }
    const error = await rejection(deployEnterpriseRegistry({ rpcUrl: anvil.rpcUrl, deployerKey: anvil.accounts[0]!, bureau: 'not-an-address' }));
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
  });
});

describe('createBureauClient', () => {
  test('issues a permit, whose credits reach the allocation; a second one for the same year is refused', async () => {
    await bureau.issuePermit('ent-permit', 'w01018', 2026, 5_000_000n);
    expect(await bureau.permitOf('ent-permit', 'w01018', 2026)).toEqual({ milligrams: 5_000_000n, issuedAt: expect.any(Number) });
    expect(await bureau.allocationOf('ent-permit', 'w01018')).toBe(5_000_000n);
    const error = await rejection(bureau.issuePermit('ent-permit', 'w01018', 2026, 1n));
    expect(error).toMatchObject({ code: 'CHAIN_REVERTED', retryable: false });
    expect(error.details).toMatch(/^EmissionLedgerPermitAlreadyIssued\(/);
    expect(await rejection(bureau.issuePermit('ent-permit', 'w01018', 1999, 1n))).toMatchObject({ details: 'EmissionLedgerInvalidYear(1999)' });
  });

  test('splits a cap by history: the permits are the largest-remainder split and sum to the cap', async () => {
    const enterprises = [
      { enterprise: 'ent-cap-1', historicalMilligrams: 7n },
      { enterprise: 'ent-cap-2', historicalMilligrams: 5n },
      { enterprise: 'ent-cap-3', historicalMilligrams: 1n },
    ];
    const { permits, txHash } = await bureau.allocateCap({ region: 'cn-330100', pollutant: 'w21003', year: 2026, capMilligrams: 1_000_003n, enterprises });
    expect(txHash).toMatch(/^0x[0-9a-f]{64}$/);
    const expected = largestRemainderSplit(1_000_003n, enterprises.map((e) => e.historicalMilligrams));
    expect(permits).toEqual(enterprises.map((e, i) => ({ enterprise: e.enterprise, milligrams: expected[i] })));
    expect(permits.reduce((sum, p) => sum + p.milligrams, 0n)).toBe(1_000_003n);
    for (const p of permits) expect((await bureau.permitOf(p.enterprise, 'w21003', 2026)).milligrams).toBe(p.milligrams);
    const again = await rejection(bureau.allocateCap({ region: 'cn-330100', pollutant: 'w21003', year: 2026, capMilligrams: 1n, enterprises }));
    expect(again.details).toMatch(/^EmissionLedgerCapAlreadyAllocated\(/);
  });

  test('sets the warning horizon', async () => {
    expect(await bureau.warningHorizon()).toBe(7 * 86_400);
    await bureau.setWarningHorizon(3_600);
    expect(await bureau.warningHorizon()).toBe(3_600);
    expect(await rejection(bureau.setWarningHorizon(-1))).toMatchObject({ code: 'SCHEMA_INVALID' });
  });

  test('registers an enterprise, its outfall and a device key; revoking the device disowns the key', async () => {
    const publicKey = hexlify(randomBytes(32)).slice(2); // as enrolled at the edge: 64 hex characters
    await bureau.registry.registerEnterprise('ent-reg', 'cn-330100', Wallet.createRandom().address);
    await bureau.registry.addOutfall('ent-reg', 'ent-reg-out-1');
    await bureau.registry.enrollDevice({ device: 'ent-reg-dev-1', enterprise: 'ent-reg', outfall: 'ent-reg-out-1', publicKey });
    expect(await bureau.registry.isEnrolledKey('ent-reg-dev-1', publicKey)).toBe(true);
    expect(await bureau.registry.isEnrolledKey('ent-reg-dev-1', hexlify(randomBytes(32)))).toBe(false);
    await bureau.registry.revokeDevice('ent-reg-dev-1');
    expect(await bureau.registry.isEnrolledKey('ent-reg-dev-1', publicKey)).toBe(false);
    // An outfall of another enterprise is refused by the contract, by name.
    const error = await rejection(bureau.registry.enrollDevice({ device: 'ent-reg-dev-2', enterprise: 'ent-reg', outfall: 'elsewhere', publicKey }));
    expect(error.details).toMatch(/^EnterpriseRegistryUnknownOutfall\(/);
    expect(await rejection(bureau.registry.enrollDevice({ device: 'd', enterprise: 'ent-reg', outfall: 'ent-reg-out-1', publicKey: 'abc' }))).toMatchObject({ code: 'SCHEMA_INVALID' });
  });

  test('lists and delists an enterprise with a reason and an evidence hash', async () => {
    const evidence = keccak256(toUtf8Bytes('inspection report 2026-041'));
    await bureau.blacklist.add('ent-bad', 'overDischarge', evidence);
    expect(await bureau.blacklist.isBlacklisted('ent-bad')).toBe(true);
    expect((await rejection(bureau.blacklist.add('ent-bad', 2, evidence))).details).toBe(`BlacklistAlreadyListed(${keccak256(toUtf8Bytes('ent-bad'))})`);
    await bureau.blacklist.remove('ent-bad', 'rectified', keccak256(toUtf8Bytes('rectification 2026-052')));
    expect(await bureau.blacklist.isBlacklisted('ent-bad')).toBe(false);
    expect(await rejection(bureau.blacklist.add('ent-bad', 0, evidence))).toMatchObject({ code: 'SCHEMA_INVALID' });
  });

  test('a key without BUREAU_ROLE is refused by name; a client without a registry address refuses registry calls', async () => {
    const stranger = await createBureauClient({ rpcUrl: anvil.rpcUrl, privateKey: anvil.accounts[3]!, address: addresses.ledger, blacklist: addresses.blacklist });
    try {
      const error = await rejection(stranger.blacklist.add('ent-x', 'dataTampering', keccak256('0x01')));
      expect(error).toMatchObject({ code: 'CHAIN_REVERTED', retryable: false });
      expect(error.details).toMatch(/^AccessControlUnauthorizedAccount\(/);
      expect(await rejection(stranger.setWarningHorizon(1))).toMatchObject({ code: 'CHAIN_REVERTED' });
      expect(await rejection(stranger.registry.addOutfall('ent-reg', 'out-2'))).toMatchObject({ code: 'CONFIG_INVALID' });
      // Its nonces stay in step after the refusals: a read still works and the bureau's state is unchanged.
      expect(await stranger.blacklist.isBlacklisted('ent-x')).toBe(false);
    } finally {
      await stranger.close();
    }
  });
});
