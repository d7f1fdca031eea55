import type { OutfallModel, OutfallValues } from './outfall-model.js';
import type { ScenarioEvent } from './scenario.js';

/** What an analyzer does apart from its values at one moment. */
export interface DeviceCondition {
  /** 'timeout': requests get no answer; a number: every request gets that Modbus exception code. */
  fault?: 'timeout' | number;
  /** Bits of the status register. */
  maintenance?: boolean;
  analyzerFault?: boolean;
  calibration?: boolean;
}

const CONCENTRATIONS = ['w01018', 'w21003', 'w21011', 'w21001'] as const;

const active = (events: readonly ScenarioEvent[], ts: number): ScenarioEvent[] => events.filter((e) => ts >= e.start && ts < e.end);

/**
 * The outfall's model with the scenario's value events applied while they
 * last (events of one outfall, in file order; later events see earlier ones).
 */
export function withEvents(model: OutfallModel, events: readonly ScenarioEvent[]): OutfallModel {
  const valuesAt = (ts: number): OutfallValues => {
    let values = model.valuesAt(ts);
    for (const e of active(events, ts)) {
      switch (e.kind) {
        case 'flatline':
          values = model.valuesAt(e.start);
          break;
        case 'replay':
          values = model.valuesAt(ts - (e.replayFromMs ?? e.end - e.start));
          break;
        case 'spike': {
          const code = e.pollutant ?? 'w01018';
          values = { ...values, [code]: values[code] * (e.factor ?? 4) };
          break;
        }
        case 'bypass-dump': {
          values = { ...values, w00000: values.w00000 * (e.factor ?? 3) };
          for (const c of CONCENTRATIONS) values[c] *= 2.5;
          break;
        }
        case 'dilution': {
          const f = e.factor ?? 3;
          values = { ...values, w00000: values.w00000 * f };
          for (const c of CONCENTRATIONS) values[c] /= f;
          break;
        }
        case 'ph-excursion':
          values = { ...values, w01001: e.value ?? 3 };
          break;
        default:
          break;
      }
    }
    return values;
  };
  return { seed: model.seed, valuesAt };
}

/** The device-level condition (faults, status bits) the scenario sets at `ts`. */
export function conditionAt(events: readonly ScenarioEvent[], ts: number): DeviceCondition {
  const condition: DeviceCondition = {};
  for (const e of active(events, ts)) {
    if (e.kind === 'timeout') condition.fault = 'timeout';
    else if (e.kind === 'exception') condition.fault = e.code ?? 4;
    else if (e.kind === 'maintenance') condition.maintenance = true;
  }
  return condition;
}
