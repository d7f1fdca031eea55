declare module 'aedes-persistence-level' {
  import type { Level } from 'level';
  /** aedes persistence on a LevelDB database (the package ships no types). */
  export default function aedesPersistenceLevel(db: Level<string, unknown>): unknown;
}
