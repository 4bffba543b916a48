import { describe, expect, it } from 'vitest';
import { parseConfig, resolveCoordination } from '../../src/core/config.js';

describe('coordination.cluster and WFS_REDIS_CLUSTER', () => {
  const redis = { WFS_REDIS_URL: 'redis://h:1' };

  it('unset: the server is asked; config.json sets it; the environment overrides, auto asks again', () => {
    expect(resolveCoordination({}, redis)).not.toHaveProperty('redisCluster');
    const config = parseConfig('{"coordination": {"cluster": true}}');
    expect(resolveCoordination(config, redis).redisCluster).toBe(true);
    expect(resolveCoordination(config, { ...redis, WFS_REDIS_CLUSTER: 'false' }).redisCluster).toBe(false);
    expect(resolveCoordination(config, { ...redis, WFS_REDIS_CLUSTER: 'auto' })).not.toHaveProperty(
      'redisCluster',
    );
    expect(resolveCoordination({}, { ...redis, WFS_REDIS_CLUSTER: 'true' }).redisCluster).toBe(true);
    // Only the Redis backend has it.
    expect(resolveCoordination(config, {})).not.toHaveProperty('redisCluster');
  });

  it('refuses what it cannot use', () => {
    expect(() => parseConfig('{"coordination": {"cluster": "yes"}}')).toThrow(/coordination\.cluster/);
    expect(() => resolveCoordination({}, { ...redis, WFS_REDIS_CLUSTER: 'maybe' })).toThrow(
      /WFS_REDIS_CLUSTER="maybe": expected one of true\|false\|auto/,
    );
  });
});
