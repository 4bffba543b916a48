import fs from 'node:fs';
import { expect, test } from 'vitest';
import { progress, settingsFromEnv } from './harness.js';
import { SCENARIOS } from './scenarios.js';

/**
 * `npm run torture`: each scenario is one test; its result (counts, figures, failures) is appended
 * to $TORTURE_REPORT for scripts/torture.mjs to print. TORTURE_ONLY=kills,bounds runs some of them.
 */
const settings = settingsFromEnv();
const only = process.env.TORTURE_ONLY?.split(',').filter((id) => id !== '');

for (const scenario of SCENARIOS) {
  test.skipIf(only !== undefined && !only.includes(scenario.id))(scenario.title, async () => {
    progress(`${scenario.title}: started (${settings.short ? 'short' : 'full'} run, seed ${settings.seed})`);
    const result = await scenario.run(settings);
    result.name = scenario.title;
    if (process.env.TORTURE_REPORT)
      fs.appendFileSync(process.env.TORTURE_REPORT, `${JSON.stringify(result)}\n`);
    progress(`${scenario.title}: ${result.passed} passed, ${result.failed} failed (${result.seconds} s)`);
    expect(result.failed, `${scenario.title}: see the report`).toBe(0);
  });
}
