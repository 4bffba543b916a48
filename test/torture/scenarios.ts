import { inputBounds } from './bounds.js';
import { corruptionMatrix } from './corruption.js';
import { environmentFaults } from './environment.js';
import type { ScenarioResult, TortureSettings } from './harness.js';
import { aimedKills } from './kills.js';
import { redisFaults } from './redis.js';
import { stalledHolder } from './stall.js';

export interface Scenario {
  /** For TORTURE_ONLY=id,id */
  id: string;
  title: string;
  run: (settings: TortureSettings) => Promise<ScenarioResult>;
}

/**
 * Every scenario of `npm run torture`, in the order they run. Each returns its passed/failed counts
 * and its figures.
 *
 * Redis Cluster (3 masters, SPEC 5: works with the URL of any node, keeps working when the
 * project's slot moves) has no scenario yet: it is added to this list, as `redis-cluster`, with the
 * cluster support itself.
 */
export const SCENARIOS: readonly Scenario[] = [
  { id: 'kills', title: '1. aimed kills', run: aimedKills },
  { id: 'stall', title: '2. stalled holder', run: stalledHolder },
  { id: 'corruption', title: '3. corruption matrix', run: corruptionMatrix },
  { id: 'environment', title: '3b. environment faults', run: environmentFaults },
  { id: 'bounds', title: '4. input bounds', run: inputBounds },
  { id: 'redis', title: '5. redis faults', run: redisFaults },
  // Redis Cluster (3 masters) goes here, as { id: 'redis-cluster', ... }, with the cluster support.
];
