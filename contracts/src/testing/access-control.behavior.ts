/**
 * A shared behaviour suite, like OpenZeppelin's shouldBehaveLikeAccessControl: for each
 * mutating function of a contract, every named account that does not hold the function's
 * role is refused with AccessControlUnauthorizedAccount(account, role), and a holder's
 * static call goes through (so the guard refuses the right accounts, not everyone).
 * It also checks that the list covers every mutating function of the ABI.
 */
import type { Contract } from 'ethers';
import { SIGNER_NAMES, as, revertOf } from './chain-fixture.js';
import type { SignerName, TestChain } from './chain-fixture.js';

export interface GuardedFunction {
  /** Function name, or full signature when overloaded. */
  fn: string;
  /** Name of the role constant the contract exposes, e.g. 'BUREAU_ROLE'. */
  role: string;
  /** Arguments with which a holder of the role succeeds. */
  args: () => unknown[];
  /** The custom error a holder's call reaches past the role check, when the state refuses it. */
  holderReverts?: string;
}

/** OpenZeppelin AccessControl's own functions, guarded by each role's admin role and tested by OpenZeppelin. */
const ACCESS_CONTROL_FUNCTIONS = new Set(['grantRole', 'revokeRole', 'renounceRole']);

export function shouldRefuseEveryAccountWithoutTheRole(
  contractName: string,
  context: () => { chain: TestChain; contract: Contract },
  guarded: GuardedFunction[],
): void {
  describe(`${contractName}: every mutating function refuses every account without its role`, () => {
    test('the list below covers every mutating function of the ABI', () => {
      const { contract } = context();
      const mutating: string[] = [];
      contract.interface.forEachFunction((fragment) => {
        if (!fragment.constant && !ACCESS_CONTROL_FUNCTIONS.has(fragment.name)) mutating.push(fragment.name);
      });
      expect(guarded.map((g) => g.fn.replace(/\(.*$/, '')).sort()).toEqual(mutating.sort());
    });

    for (const { fn, role, args, holderReverts } of guarded) {
      test(`${fn} refuses every account without ${role} and lets a holder through`, async () => {
        const { chain, contract } = context();
        const roleId = (await contract.getFunction(role)()) as string;
        const refused: SignerName[] = [];
        let holders = 0;
        for (const name of SIGNER_NAMES) {
          const signer = chain.signers[name];
          const holds = (await contract.getFunction('hasRole')(roleId, chain.addresses[name])) as boolean;
          // Made only now, and awaited at once: a rejection left pending across an await is unhandled.
          const call = as(contract, signer).getFunction(fn).staticCall(...args());
          if (holds) {
            if (holderReverts) await revertOf(call, holderReverts);
            else await call; // must not revert
            holders += 1;
          } else {
            expect(await revertOf(call, 'AccessControlUnauthorizedAccount')).toEqual([chain.addresses[name], roleId]);
            refused.push(name);
          }
        }
        expect(holders).toBeGreaterThan(0);
        expect(refused).toContain('stranger');
        expect(refused).toContain('admin');
      });
    }
  });
}
