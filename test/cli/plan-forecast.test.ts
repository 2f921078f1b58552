/** `rollout plan` prints the canary judge's forecast per judged stage; `rollout validate` refuses a hopeless window. */
import { join } from 'node:path';
import { stringify } from 'yaml';
import { main } from '../../src/cli/main';
import { planInput, tempFiles } from '../plan/helpers';

function planFile(canary: Record<string, unknown>, bake: string): string {
  const input = planInput();
  input.tests = { health: { input: { x: 1 } }, canary };
  input.stages = [
    { name: 'canary', traffic: 10, bake, gate: ['canary'] },
    { name: 'half', traffic: 50, bake: '1m' },
  ];
  return join(tempFiles({ 'plan.yaml': stringify(input) }), 'plan.yaml');
}

async function rollout(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

it('plan prints the sources, traffic, window and forecast of a judged stage', async () => {
  const run = await rollout('plan', planFile({ sources: ['probes'], probe_rps: 50 }, '10m'), '--version', '2');
  expect(run.code).toBe(0);
  expect(run.out).toMatch(
    /\n {5}canary judge: probes, 50 probe rps per version; 10% of user traffic to the new version \(not judged\); window 15m \(bake 10m \+ max_extension 5m\)\n {5}forecast \(100 simulated runs of the judge\): an equal version passes within the window in \d+% of runs; median \d+m to pass, p90 \d+m\n {7}time to fail \(median\): 5xx \+5 points \d+s; 5xx ×3 \(from 0\.5%\) [^;]+; latency \+20% \(median and every quantile\) [^;]+; p99 \+50%, same median [^\n]+\n {7}smallest effect failed in 80% of runs within the window: 5xx \+[\d.]+ points; latency \+\d+%\n {2}2\. half/,
  );
});

it('plan says the traffic is unknown when live decides and the plan does not state it', async () => {
  const run = await rollout('plan', planFile({ sources: ['live'] }, '10m'), '--version', '2');
  expect(run.code).toBe(0);
  expect(run.out).toContain(
    '     canary judge: live; user traffic unknown, 10% to the new version; window 15m (bake 10m + max_extension 5m)\n' +
      '     forecast: traffic unknown: set tests.canary.traffic.rps to forecast (rollout plan does not read the endpoint metrics)\n',
  );
  expect((await rollout('validate', planFile({ sources: ['live'] }, '10m'))).code).toBe(0);
});

it('validate refuses a window an equal version cannot pass in at the stated traffic, and accepts a long one', async () => {
  const refused = await rollout('validate', planFile({ sources: ['live'], traffic: { rps: 2 } }, '1h'));
  expect(refused.code).toBe(2);
  expect(refused.out).toBe('');
  expect(refused.err).toMatch(
    /^invalid plan .*plan\.yaml: 1 problem\n {2}stages\[0\]\.bake: at 2 rps and 10% an equal version needs about \d+h\d\dm \(median\) to pass the canary judge; this window is 1h05m \(bake 1h00m \+ max_extension 5m\), within which it passes in \d+% of 100 simulated runs \(refused below 50%\): lengthen bake or tests\.canary\.max_extension, raise the stage's traffic, or add probes \(tests\.canary\.sources\)\n$/,
  );
  const accepted = await rollout('validate', planFile({ sources: ['live'], traffic: { rps: 200 } }, '1h'));
  expect(accepted).toMatchObject({ code: 0, err: '' });
  expect(accepted.out).toMatch(/^OK /);
});
