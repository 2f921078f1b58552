/**
 * The whole fault suite (`npm run test:chaos`): every scenario of test/chaos/scenarios.ts, with the table written
 * to test-artifacts/chaos.json. Too long for CI's budget; its last results are in the README.
 */
import { chaosSuite } from './harness';
import { SCENARIOS } from './scenarios';

jest.setTimeout(420_000);
const runScenario = chaosSuite('chaos.json');
/** CHAOS_ONLY=<regular expression>: only the scenarios whose name matches. */
const only = process.env.CHAOS_ONLY ? new RegExp(process.env.CHAOS_ONLY) : undefined;

it.each(SCENARIOS.filter((s) => !only || only.test(s.name)).map((s) => [s.name, s] as const))(
  '%s',
  async (_name, scenario) => {
    await runScenario(scenario);
  },
);
