/** The faults the suite can inject, in the order it injects them. */
export const FAULTS = [
  'edge-kill', // kill -9 an edge agent, start it again
  'broker-stop', // stop Mosquitto for the outage, start it again on the same data
  'ingester-kill', // kill -9 the ingester that does not settle (of two on one shared subscription), start it again
  'settler-kill', // kill -9 the ingester that settles, start it again
  'influx-stop', // stop InfluxDB for the outage, start it again on the same data folder
  'chain-stop', // freeze the chain node (SIGSTOP) for the outage, then SIGCONT
  'outbox-full', // cut one edge agent off the broker until its disk outbox is full, then reconnect
] as const;
export type Fault = (typeof FAULTS)[number];

/** Defaults of the system suite; comments give the units. */
export const SYSTEM_DEFAULTS = {
  /** Simulated outfalls (Modbus devices). */
  outfalls: 20,
  /** Outfalls per enterprise; one edge agent per enterprise. */
  outfallsPerEnterprise: 4,
  /** Device poll interval, milliseconds (the real thing polls every minute: this is the acceleration). */
  pollIntervalMs: 200,
  /** Simulated seconds per real second of the plant's model. */
  plantSpeed: 60,
  /** Settlement period, milliseconds. */
  settlementPeriodMs: 5_000,
  /** How long the broker, InfluxDB and the chain stay down, milliseconds. */
  outageMs: 30_000,
  /** How long a killed process stays dead before it is started again, milliseconds. */
  deadMs: 2_000,
  /** Flow before the first fault, milliseconds. */
  warmupMs: 8_000,
  /** Longest wait for the system to catch up after a fault, milliseconds. */
  recoveryTimeoutMs: 120_000,
  /** Malformed MQTT messages sent in the abuse phase. */
  malformed: 10_000,
  /** Outbox bound of the agent whose outbox is filled, bytes. */
  fillOutboxBytes: 96 * 1024,
  /** Longest wait for that outbox to fill, milliseconds. */
  fillTimeoutMs: 90_000,
  /** Initial allocation per enterprise and charged pollutant, milligrams (1 t: it never runs out here). */
  allocationMilligrams: 1_000_000_000n,
} as const;

export interface SystemOptions {
  outfalls: number;
  outfallsPerEnterprise: number;
  pollIntervalMs: number;
  plantSpeed: number;
  settlementPeriodMs: number;
  outageMs: number;
  deadMs: number;
  warmupMs: number;
  recoveryTimeoutMs: number;
  faults: Fault[];
  /** Run the abuse phase. */
  abuse: boolean;
  malformed: number;
  fillOutboxBytes: number;
  fillTimeoutMs: number;
  allocationMilligrams: bigint;
  /** Logs and generated files go here (a temp folder by default, removed unless `keepWorkDir`). */
  workDir?: string;
  keepWorkDir: boolean;
  /** Progress lines. */
  say: (line: string) => void;
  /** Aborted: the run stops before its next step and stops every process. */
  signal?: AbortSignal;
}

export function systemOptions(overrides: Partial<SystemOptions> = {}): SystemOptions {
  return {
    ...SYSTEM_DEFAULTS,
    faults: [...FAULTS],
    abuse: true,
    keepWorkDir: false,
    say: () => undefined,
    ...overrides,
  };
}

/** `all`, or a comma-separated list of fault names. */
export function parseFaults(text: string): Fault[] {
  if (text === 'all') return [...FAULTS];
  if (text === 'none' || text === '') return [];
  const names = text.split(',').map((s) => s.trim());
  for (const name of names) {
    if (!(FAULTS as readonly string[]).includes(name)) throw new Error(`--faults: unknown fault ${name}; expected all, none or some of ${FAULTS.join(', ')}`);
  }
  return FAULTS.filter((f) => names.includes(f));
}
