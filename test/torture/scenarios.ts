import { inputBounds } from './bounds.js';
import { redisCluster } from './cluster.js';
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
 */
export const SCENARIOS: readonly Scenario[] = [
  { id: 'kills', title: '1. aimed kills', run: aimedKills },
  { id: 'stall', title: '2. stalled holder', run: stalledHolder },
  { id: 'corruption', title: '3. corruption matrix', run: corruptionMatrix },
  { id: 'environment', title: '3b. environment faults', run: environmentFaults },
  { id: 'bounds', title: '4. input bounds', run: inputBounds },
  { id: 'redis', title: '5. redis faults', run: redisFaults },
  { id: 'redis-cluster', title: '6. redis cluster', run: redisCluster },
];
