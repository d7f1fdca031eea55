/**
 * EnterpriseRegistry on a real anvil node: enterprises, outfalls and enrolled device keys.
 * Each check is tested in both directions (the seed's registry had its requires inverted).
 */
import { Wallet, ZeroAddress, ZeroHash } from 'ethers';
import type { Contract } from 'ethers';
import { enterpriseKey } from './index.js';
import { as, eventsOf, revertOf, send, useTestChain } from './testing/chain-fixture.js';
import type { TestChain } from './testing/chain-fixture.js';
import { ACME, BETA, DEV1, OUT1, REGION, bytes32, deployRegistry } from './testing/contracts.js';

const KEY1 = bytes32();

let chain: TestChain;
let registry: Contract;
let bureau: Contract;

useTestChain((started) => {
  chain = started;
});

beforeEach(async () => {
  registry = await deployRegistry(chain);
  bureau = as(registry, chain.signers.bureau);
});

const call = (fn: string, ...args: unknown[]) => send(chain, registry, chain.signers.bureau, fn, ...args);

describe('EnterpriseRegistry', () => {
  test('registering an enterprise records its region and account and grants the account ENTERPRISE_ROLE', async () => {
    const receipt = await call('registerEnterprise', ACME, REGION, chain.addresses.enterprise);
    const record = await registry.getFunction('enterpriseOf')(ACME);
    expect([record.region, record.account]).toEqual([REGION, chain.addresses.enterprise]);
    expect(record.registeredAt).toBeGreaterThan(0n);
    expect(await registry.getFunction('enterpriseOfAccount')(chain.addresses.enterprise)).toBe(ACME);
    const role = await registry.getFunction('ENTERPRISE_ROLE')();
    expect(await registry.getFunction('hasRole')(role, chain.addresses.enterprise)).toBe(true);
    expect(eventsOf(registry, receipt, 'EnterpriseRegistered').map((e) => e.args.toArray())).toEqual([
      [ACME, REGION, chain.addresses.enterprise],
    ]);
  });

  test('an enterprise is registered once, with non-zero ids, a real account, one enterprise per account', async () => {
    await call('registerEnterprise', ACME, REGION, chain.addresses.enterprise);
    const register = bureau.getFunction('registerEnterprise');
    expect(await revertOf(register.staticCall(ACME, REGION, Wallet.createRandom().address), 'EnterpriseRegistryAlreadyRegistered')).toEqual([ACME]);
    expect(await revertOf(register.staticCall(BETA, REGION, chain.addresses.enterprise), 'EnterpriseRegistryAccountInUse')).toEqual([chain.addresses.enterprise, ACME]);
    await revertOf(register.staticCall(BETA, REGION, ZeroAddress), 'EnterpriseRegistryInvalidAccount');
    await revertOf(register.staticCall(ZeroHash, REGION, Wallet.createRandom().address), 'EnterpriseRegistryZeroValue');
    await revertOf(register.staticCall(BETA, ZeroHash, Wallet.createRandom().address), 'EnterpriseRegistryZeroValue');
  });

  test('moving an enterprise to a new account moves ENTERPRISE_ROLE with it', async () => {
    await call('registerEnterprise', ACME, REGION, chain.addresses.enterprise);
    const next = Wallet.createRandom().address;
    const receipt = await call('changeEnterpriseAccount', ACME, next);
    const role = await registry.getFunction('ENTERPRISE_ROLE')();
    expect(await registry.getFunction('hasRole')(role, chain.addresses.enterprise)).toBe(false);
    expect(await registry.getFunction('hasRole')(role, next)).toBe(true);
    expect(await registry.getFunction('enterpriseOfAccount')(chain.addresses.enterprise)).toBe(ZeroHash);
    expect(eventsOf(registry, receipt, 'EnterpriseAccountChanged').map((e) => e.args.toArray())).toEqual([
      [ACME, chain.addresses.enterprise, next],
    ]);
    await revertOf(bureau.getFunction('changeEnterpriseAccount').staticCall(BETA, Wallet.createRandom().address), 'EnterpriseRegistryUnknownEnterprise');
  });

  test('outfalls belong to registered enterprises, once each', async () => {
    const add = bureau.getFunction('addOutfall');
    expect(await revertOf(add.staticCall(ACME, OUT1), 'EnterpriseRegistryUnknownEnterprise')).toEqual([ACME]);
    await call('registerEnterprise', ACME, REGION, chain.addresses.enterprise);
    const receipt = await call('addOutfall', ACME, OUT1);
    expect(eventsOf(registry, receipt, 'OutfallAdded').map((e) => e.args.toArray())).toEqual([[ACME, OUT1]]);
    expect(await registry.getFunction('isOutfall')(ACME, OUT1)).toBe(true);
    expect(await registry.getFunction('isOutfall')(BETA, OUT1)).toBe(false);
    expect(await revertOf(add.staticCall(ACME, OUT1), 'EnterpriseRegistryOutfallExists')).toEqual([ACME, OUT1]);
  });

  test('a device is enrolled at an outfall of its own enterprise, with its public key; revoked, it can be enrolled again', async () => {
    await call('registerEnterprise', ACME, REGION, chain.addresses.enterprise);
    await call('registerEnterprise', BETA, REGION, chain.addresses.arbitrator);
    await call('addOutfall', ACME, OUT1);
    const enroll = bureau.getFunction('enrollDevice');
    // BETA has no outfall OUT1: a device cannot be enrolled at another enterprise's outfall.
    expect(await revertOf(enroll.staticCall(DEV1, BETA, OUT1, KEY1), 'EnterpriseRegistryUnknownOutfall')).toEqual([BETA, OUT1]);
    await revertOf(enroll.staticCall(DEV1, enterpriseKey('ent-nobody'), OUT1, KEY1), 'EnterpriseRegistryUnknownEnterprise');
    await revertOf(enroll.staticCall(DEV1, ACME, OUT1, ZeroHash), 'EnterpriseRegistryZeroValue');

    const receipt = await call('enrollDevice', DEV1, ACME, OUT1, KEY1);
    expect(eventsOf(registry, receipt, 'DeviceEnrolled').map((e) => e.args.toArray())).toEqual([[DEV1, ACME, OUT1, KEY1]]);
    expect(await registry.getFunction('isEnrolledKey')(DEV1, KEY1)).toBe(true);
    expect(await registry.getFunction('isEnrolledKey')(DEV1, bytes32())).toBe(false);
    expect(await revertOf(enroll.staticCall(DEV1, ACME, OUT1, KEY1), 'EnterpriseRegistryDeviceEnrolled')).toEqual([DEV1]);

    const revoked = await call('revokeDevice', DEV1);
    expect(eventsOf(registry, revoked, 'DeviceRevoked').map((e) => e.args.toArray())).toEqual([[DEV1, ACME]]);
    expect(await registry.getFunction('isEnrolledKey')(DEV1, KEY1)).toBe(false);
    expect(await revertOf(bureau.getFunction('revokeDevice').staticCall(DEV1), 'EnterpriseRegistryDeviceNotEnrolled')).toEqual([DEV1]);

    const rotated = bytes32();
    await call('enrollDevice', DEV1, ACME, OUT1, rotated);
    expect(await registry.getFunction('isEnrolledKey')(DEV1, rotated)).toBe(true);
    expect((await registry.getFunction('deviceOf')(DEV1)).revoked).toBe(false);
  });
});
