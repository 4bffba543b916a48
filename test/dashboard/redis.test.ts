import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startRedis, type TestRedis } from '../redis-server.js';
import { dashboardSuite } from './suite.js';

// The same page on Redis: a redis-server of the tests' own on a free loopback port.
let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

// Each test's repository is a project of its own on the one server.
dashboardSuite('redis', (root) => ({
  WFS_REDIS_URL: redis.url,
  WFS_PROJECT_ID: `dashboard:${path.basename(root)}`,
}));
