import { isQingliuError } from '@qingliu/protocol';
import { createRiver, sampleRiver } from './river.js';
import type { RiverOptions } from './river.js';
import type { ScenarioEvent } from './scenario.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
// Midnight, 2024-06-01, China Standard Time (UTC+8).
const MIDNIGHT_CST = Date.UTC(2024, 4, 31, 16, 0, 0);

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const mean = (xs: readonly number[]): number => sum(xs) / xs.length;

/** The station's COD with the events minus the same river without them (both noiseless): what the events alone add, mg/L. */
function eventExcess(options: RiverOptions, from: number, to: number, stepMs = MINUTE) {
  const quiet = { ...options, noise: { cod: 0, nh3n: 0 } };
  const withEvents = sampleRiver(createRiver(quiet), from, to, stepMs);
  const without = sampleRiver(createRiver({ ...quiet, events: [], unmonitored: [] }), from, to, stepMs);
  return { ts: withEvents.station.ts, flow: withEvents.station.flow, excess: withEvents.station.cod.map((v, i) => v - without.station.cod[i]!) };
}

/** Mass (g) the excess carries past the station: sum of excess (g/m3) x river flow (m3/s) x step (s). */
function massPast(run: { flow: number[]; excess: number[] }, stepMs: number): number {
  return sum(run.excess.map((c, i) => c * run.flow[i]! * (stepMs / 1000)));
}

const dump = (outfall: string, start: number, minutes: number): ScenarioEvent => ({ outfall, kind: 'bypass-dump', start, end: start + minutes * MINUTE });

describe('simulated river', () => {
  const options: RiverOptions = { seed: 7, outfalls: [{ id: 'ent-a-dw001', distanceKm: 2 }, { id: 'ent-b-dw001', distanceKm: 6.5 }] };

  it('is a pure function of seed and time: the same seed reads the same, another seed differs', () => {
    const a = sampleRiver(createRiver(options), MIDNIGHT_CST, MIDNIGHT_CST + 6 * HOUR);
    const b = sampleRiver(createRiver(options), MIDNIGHT_CST, MIDNIGHT_CST + 6 * HOUR);
    const c = sampleRiver(createRiver({ ...options, seed: 8 }), MIDNIGHT_CST, MIDNIGHT_CST + 6 * HOUR);
    expect(b).toEqual(a);
    expect(c.station.cod).not.toEqual(a.station.cod);
    // Reading one instant alone gives the value the series gave.
    const river = createRiver(options);
    expect(river.stationAt(a.station.ts[40]!).cod).toBe(a.station.cod[40]);
  });

  it('samples [from, to) every 5 minutes by default, the station and each outfall on one grid', () => {
    const s = sampleRiver(createRiver(options), MIDNIGHT_CST, MIDNIGHT_CST + 2 * HOUR);
    expect(s.station.ts).toHaveLength(24);
    expect(s.station.ts[0]).toBe(MIDNIGHT_CST);
    expect(s.station.ts[23]).toBe(MIDNIGHT_CST + 2 * HOUR - 5 * MINUTE);
    expect(s.outfalls.map((o) => [o.id, o.distanceKm, o.ts.length, o.flow.length, o.cod.length, o.nh3n.length])).toEqual([
      ['ent-a-dw001', 2, 24, 24, 24, 24],
      ['ent-b-dw001', 6.5, 24, 24, 24, 24],
    ]);
    const river = createRiver(options);
    const at = river.outfalls[1]!.model.valuesAt(s.outfalls[1]!.ts[7]!);
    expect([s.outfalls[1]!.flow[7], s.outfalls[1]!.cod[7], s.outfalls[1]!.nh3n[7]]).toEqual([at.w00000, at.w01018, at.w21003]);
  });

  it('with no dispersion, decay or noise, reads the background plus each outfall load one travel time earlier, diluted by the river', () => {
    const river = createRiver({ ...options, dispersion: 0, noise: { cod: 0, nh3n: 0 }, velocity: 0.5, background: { cod: 10, nh3n: 0.5 } });
    expect(river.outfalls.map((o) => o.travelTimeMs / MINUTE)).toEqual([2000 / 0.5 / 60, 6500 / 0.5 / 60]);
    for (const t of [MIDNIGHT_CST + 9 * HOUR, MIDNIGHT_CST + 20 * HOUR + 17 * MINUTE]) {
      const volume = 3600 * river.flowAt(t); // m3/h
      let cod = 10;
      let nh3n = 0.5;
      for (const o of river.outfalls) {
        const v = o.model.valuesAt(t - o.travelTimeMs);
        cod += (v.w00000 * v.w01018) / volume; // (m3/h x g/m3) / (m3/h)
        nh3n += (v.w00000 * v.w21003) / volume;
      }
      const at = river.stationAt(t);
      expect(at.cod).toBeCloseTo(cod, 9);
      expect(at.nh3n).toBeCloseTo(nh3n, 9);
    }
  });

  it('shows a bypass dump one travel time later, centred on the dump, and not before', () => {
    const start = MIDNIGHT_CST + 10 * HOUR;
    const o: RiverOptions = { ...options, velocity: 0.5, events: [dump('ent-b-dw001', start, 40)] };
    const travel = (6500 / 0.5) * 1000;
    const run = eventExcess(o, start, start + travel + 6 * HOUR);
    const centroid = sum(run.excess.map((c, i) => c * run.ts[i]!)) / sum(run.excess);
    expect(Math.abs(centroid - (start + 20 * MINUTE + travel)) / MINUTE).toBeLessThan(2);
    const spread = createRiver(o).outfalls[1]!.spreadMs;
    const early = run.excess.filter((_, i) => run.ts[i]! < start + travel - 4 * spread);
    // Nothing of it before then (only the quadrature differs where the event's edge made it read every minute).
    expect(Math.max(...early.map(Math.abs))).toBeLessThan(1e-4);
    expect(Math.max(...run.excess)).toBeGreaterThan(1);
  });

  it('spreads the plume with distance: a farther outfall arrives lower and wider with the same mass', () => {
    const start = MIDNIGHT_CST + 10 * HOUR;
    const near: RiverOptions = { seed: 3, velocity: 0.6, flowVariation: 0, outfalls: [{ id: 'x', distanceKm: 1, seed: 99 }], events: [dump('x', start, 30)] };
    const far: RiverOptions = { ...near, outfalls: [{ id: 'x', distanceKm: 12, seed: 99 }] };
    const a = eventExcess(near, start, start + 12 * HOUR);
    const b = eventExcess(far, start, start + 12 * HOUR);
    const width = (run: { ts: number[]; excess: number[] }): number => {
      const m = sum(run.excess.map((c, i) => c * run.ts[i]!)) / sum(run.excess);
      return Math.sqrt(sum(run.excess.map((c, i) => c * (run.ts[i]! - m) ** 2)) / sum(run.excess));
    };
    expect(Math.max(...b.excess)).toBeLessThan(0.8 * Math.max(...a.excess));
    expect(width(b)).toBeGreaterThan(1.5 * width(a));
    expect(massPast(b, MINUTE) / massPast(a, MINUTE)).toBeCloseTo(1, 2);
    // The mass is what the dump added: the outfall's load x 1.5 extra flow x 2.5 concentration, over 30 minutes.
    const model = createRiver(near).outfalls[0]!.model;
    const calm = createRiver({ ...near, events: [] }).outfalls[0]!.model;
    let added = 0;
    for (let t = start; t < start + 30 * MINUTE; t += 1000) added += ((model.valuesAt(t).w00000 * model.valuesAt(t).w01018 - calm.valuesAt(t).w00000 * calm.valuesAt(t).w01018) / 3600) * 1; // g per s
    expect(massPast(a, MINUTE) / added).toBeCloseTo(1, 1);
  });

  it('decays first-order: exp(-k T) of the mass arrives', () => {
    const start = MIDNIGHT_CST + 9 * HOUR;
    const base: RiverOptions = { seed: 5, velocity: 0.5, flowVariation: 0, outfalls: [{ id: 'x', distanceKm: 5.4 }], events: [dump('x', start, 30)] };
    const kept = massPast(eventExcess({ ...base, decayPerHour: 0.2 }, start, start + 8 * HOUR), MINUTE);
    const all = massPast(eventExcess(base, start, start + 8 * HOUR), MINUTE);
    expect(kept / all).toBeCloseTo(Math.exp(-0.2 * 3), 3); // 5.4 km at 0.5 m/s: 3 h
  });

  it('carries an unmonitored discharge to the station like an outfall load', () => {
    const start = MIDNIGHT_CST + 14 * HOUR;
    const o: RiverOptions = { ...options, flowVariation: 0, unmonitored: [{ start, end: start + HOUR, distanceKm: 1.5, codKgPerH: 40 }] };
    const run = eventExcess(o, start - HOUR, start + 5 * HOUR);
    expect(massPast(run, MINUTE) / 40_000).toBeCloseTo(1, 2); // 40 kg/h for 1 h = 40,000 g
  });

  it('adds seeded measurement noise of the configured standard deviation', () => {
    const noisy = sampleRiver(createRiver({ ...options, noise: { cod: 0.3, nh3n: 0.03 } }), MIDNIGHT_CST, MIDNIGHT_CST + 24 * HOUR, MINUTE);
    const clean = sampleRiver(createRiver({ ...options, noise: { cod: 0, nh3n: 0 } }), MIDNIGHT_CST, MIDNIGHT_CST + 24 * HOUR, MINUTE);
    const d = noisy.station.cod.map((v, i) => v - clean.station.cod[i]!);
    const sd = Math.sqrt(mean(d.map((x) => (x - mean(d)) ** 2)));
    expect(Math.abs(mean(d))).toBeLessThan(0.03);
    expect(sd).toBeGreaterThan(0.27);
    expect(sd).toBeLessThan(0.33);
  });

  it('varies the river flow slowly around its base', () => {
    const river = createRiver({ ...options, baseFlow: 3, flowVariation: 0.15 });
    const flow = Array.from({ length: 7 * 288 }, (_, i) => river.flowAt(MIDNIGHT_CST + i * 5 * MINUTE));
    expect(Math.min(...flow)).toBeGreaterThanOrEqual(3 * 0.85);
    expect(Math.max(...flow)).toBeLessThanOrEqual(3 * 1.15);
    expect(Math.max(...flow) - Math.min(...flow)).toBeGreaterThan(0.3);
    const steps = flow.slice(1).map((q, i) => Math.abs(q - flow[i]!));
    expect(Math.max(...steps)).toBeLessThan(0.02);
  });

  it.each([
    [{ velocity: 0 }, /velocity/],
    [{ outfalls: [{ id: 'a', distanceKm: -1 }] }, /outfalls\.0\.distanceKm/],
    [{ outfalls: [{ id: 'a', distanceKm: 1 }, { id: 'a', distanceKm: 2 }] }, /outfalls\.1\.id: a appears twice/],
    [{ events: [dump('nobody', 0, 10)] }, /events\.0\.outfall/],
    [{ unmonitored: [{ start: 10, end: 5, codKgPerH: 1 }] }, /unmonitored\.0/],
    [{ baseFlow: Number.NaN }, /baseFlow/],
  ] as [Partial<RiverOptions>, RegExp][])('refuses a bad river with CONFIG_INVALID naming the field (%j)', (bad, message) => {
    let error: unknown;
    try {
      createRiver({ ...options, ...bad });
    } catch (e) {
      error = e;
    }
    expect(isQingliuError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses an empty or backward sampling range', () => {
    const river = createRiver(options);
    expect(() => sampleRiver(river, 10, 10)).toThrow(/from < to/);
    expect(() => sampleRiver(river, 0, 10, 0)).toThrow(/stepMs/);
  });
});
