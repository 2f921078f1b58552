/**
 * The fault suite's fast subset, part of `npm test`: a worker SIGKILL, a 429/5xx storm, a concurrent change by
 * someone else, two rollouts on one endpoint, a watcher whose worker and server are SIGKILLed mid-watch. `npm run
 * test:chaos` runs every scenario (test/chaos/full.chaos.ts).
 */
import { chaosSuite } from './harness';
import { SCENARIOS } from './scenarios';

jest.setTimeout(240_000);
const runScenario = chaosSuite('chaos-fast.json');

it.each(SCENARIOS.filter((s) => s.fast).map((s) => [s.name, s] as const))('%s', async (_name, scenario) => {
  await runScenario(scenario);
});
