import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRepo, wfs } from '../helpers.js';
import { startRedis, type TestRedis } from '../redis-server.js';
import { startDashboardProcess, until } from './harness.js';
import { dashboardSuite } from './suite.js';

// The same page on Redis: a redis-server of the tests' own on a free loopback port.
let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const envFor = (root: string) => ({
  WFS_REDIS_URL: redis.url,
  WFS_PROJECT_ID: `dashboard:${path.basename(root)}`,
});

// Each test's repository is a project of its own on the one server.
dashboardSuite('redis', envFor);

describe('the dashboard when Redis goes away', () => {
  it('says so on the page, keeps showing the sessions, and shows the coordination again once it is back', async () => {
    const root = makeRepo();
    const env = envFor(root);
    await wfs(root, ['session', 'start', '--new', 'steady'], { env });
    const dashboard = await startDashboardProcess(root, env);
    const page = async () =>
      (await fetch(`${dashboard.origin}/`, { headers: dashboard.auth }).then((r) => r.text())) as string;
    try {
      await redis.stop();
      await until(async () => /Coordination \(redis\): Cannot reach Redis/.test(await page()));
      expect(await page()).toContain('WFS-steady');
      await redis.start();
      await wfs(root, ['lock', 'acquire', 'after-the-outage'], { env });
      await until(async () => {
        const text = await page();
        return text.includes('after-the-outage') && !text.includes('Cannot reach Redis');
      });
    } finally {
      expect(await dashboard.stop()).toBe(0);
    }
  });
});
