import { creditScore, defaultCreditPolicy } from './credit-score.js';
import type { CreditFacts } from './credit-score.js';

const clean: CreditFacts = {
  confirmedAlerts: 0,
  blacklisted: false,
  credits: [
    { pollutant: 'w01018', balanceMilligrams: 400_000n, allocatedMilligrams: 1_000_000n },
    { pollutant: 'w21003', balanceMilligrams: 0n, allocatedMilligrams: 100_000n },
  ],
};

describe('creditScore', () => {
  it('gives a clean record the full score and proposes nothing', () => {
    expect(creditScore(clean)).toEqual({ score: 100, deductions: [], blacklistProposed: false });
  });

  it('takes 15 points per confirmed alert', () => {
    const { score, deductions } = creditScore({ ...clean, confirmedAlerts: 2 });
    expect(score).toBe(70);
    expect(deductions).toEqual([{ cause: 'confirmed-alerts', points: 30, note: '2 confirmed alerts × 15' }]);
  });

  it('takes 5 points for a pollutant in debt, and up to 15 more in proportion to the debt over the allocation', () => {
    const inDebt = (balance: bigint, allocated = 100_000n): number =>
      creditScore({ ...clean, credits: [{ pollutant: 'w21003', balanceMilligrams: balance, allocatedMilligrams: allocated }] }).score;
    expect(inDebt(-1n)).toBe(95); // any debt
    expect(inDebt(-50_000n)).toBe(100 - 5 - 8); // half the allocation: 7.5 rounds to 8
    expect(inDebt(-100_000n)).toBe(80);
    expect(inDebt(-10_000_000n)).toBe(80); // capped at the whole allocation
    expect(inDebt(-1n, 0n)).toBe(80); // in debt on nothing allocated: the most
  });

  it('adds the deductions up and never goes below 0', () => {
    const facts: CreditFacts = {
      confirmedAlerts: 3,
      blacklisted: false,
      credits: [
        { pollutant: 'w01018', balanceMilligrams: -1_000_000n, allocatedMilligrams: 1_000_000n },
        { pollutant: 'w21003', balanceMilligrams: -1n, allocatedMilligrams: 100_000n },
      ],
    };
    const result = creditScore(facts);
    expect(result.score).toBe(100 - 45 - 20 - 5);
    expect(result.deductions.map((d) => [d.cause, d.pollutant, d.points])).toEqual([
      ['confirmed-alerts', undefined, 45],
      ['debt', 'w01018', 20],
      ['debt', 'w21003', 5],
    ]);
    expect(creditScore({ ...facts, confirmedAlerts: 9 }).score).toBe(0);
  });

  it('scores a blacklisted enterprise 0 and proposes no second listing', () => {
    expect(creditScore({ ...clean, blacklisted: true, confirmedAlerts: 5 })).toMatchObject({ score: 0, blacklistProposed: false });
  });

  it('proposes blacklisting from the threshold of confirmed alerts on', () => {
    expect(creditScore({ ...clean, confirmedAlerts: 2 }).blacklistProposed).toBe(false);
    expect(creditScore({ ...clean, confirmedAlerts: 3 }).blacklistProposed).toBe(true);
    expect(creditScore({ ...clean, confirmedAlerts: 1 }, { ...defaultCreditPolicy, blacklistThreshold: 1 }).blacklistProposed).toBe(true);
  });

  it('refuses a count that is not a whole number', () => {
    expect(() => creditScore({ ...clean, confirmedAlerts: -1 })).toThrow(RangeError);
    expect(() => creditScore({ ...clean, confirmedAlerts: 1.5 })).toThrow(/whole number/);
  });
});
