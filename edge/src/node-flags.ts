/**
 * The V8 flags the agent is run with (`node <flags> edge/dist/main.js run`,
 * also in main.js's `#!` line). Measured with bench/dist/edge-acquisition.js
 * (4 devices polled as fast as they answer, ~5,000 readings/s): peak RSS
 * ~90 MB with them, ~130 MB without, same throughput and CPU.
 *
 * - `--optimize-for-size`: V8 favours memory over speed (smaller heap growth
 *   steps, smaller new space); no measurable cost at the agent's rates.
 * - `--max-semi-space-size=1` (MiB): the young generation stays at a few MiB
 *   instead of growing to 3 x 16 MiB under a high allocation rate.
 */
export const EDGE_NODE_FLAGS = ['--optimize-for-size', '--max-semi-space-size=1'] as const;
