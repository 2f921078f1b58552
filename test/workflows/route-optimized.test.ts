/**
 * A rollout on a route-optimized endpoint (issue 13), on a real dev server and the emulator: the worker's profiles
 * hold OAuth M2M client credentials; us-east-1's endpoint is route-optimized, eu-west-1's is not. Every probe of
 * us-east-1 (health, edge cases, load test, canary probes) goes to the data-plane URL that GET names, with a scoped token; eu-west-1's
 * go to the workspace URL. A PAT-only profile is refused in pre-flight, before anything is touched, saying how to fix it.
 */
import { writeFileSync } from 'node:fs';
import { checkedRollouts } from '../support/invariant';
import { EDGE_CASES, ENDPOINT, Rig, rolloutWorld, useRig } from '../support/temporal';
import { rolloutReport } from '../../src/rollouts';

const world = () => {
  const input = rolloutWorld();
  const us = input.regions.find((r) => r.name === 'us-east-1')!;
  us.endpoints = us.endpoints!.map((e) => ({ ...e, route_optimized: true }));
  return input;
};
const rigOf = useRig(world, { auth: 'oauth-m2m', logRequests: true });
let rig: Rig;
beforeEach(() => {
  rig = rigOf();
});
const { startRollout, invariantHolds } = checkedRollouts(() => rig);

const plan = () =>
  rig.plan({
    regions: rig.plan().regions.slice(0, 2),
    tests: {
      health: { queries: 3, input: { amount: 120 } },
      edge_cases: { file: 'inline', tolerance: 0.02 },
      load: { rps: 40, duration: '1s', slo: { p99: '2s', error_rate: 0.2 } },
      // Wide margins, as in canary.test.ts: this is about where the probes go, not the judge's power.
      canary: {
        probe_rps: 100,
        quantiles: [0.5],
        error_floor: { relative: 2, absolute: 0.02 },
        latency_floor: 0.3,
        max_extension: '30s',
      },
    },
    stages: [
      { name: 'canary', traffic: 10, bake: '2s', gate: ['health', 'load', 'canary'] },
      { name: 'half', traffic: 50, bake: '100ms', gate: ['edge-cases'] },
    ],
  });

/** Registers a good version, rolls it out with the plan above, and checks the invariant. */
async function rollOutGoodVersion() {
  const version = await rig.register('candidate-good');
  const { handle } = await startRollout(rig.client, {
    plan: plan(),
    edgeCases: EDGE_CASES,
    version,
    triggeredBy: 'test',
  });
  const report = await rolloutReport(handle);
  await invariantHolds();
  return { handle, report };
}

const invocations = (region: string) =>
  rig.requests.filter((line) => line.startsWith(`[${region}] POST `) && line.includes('/invocations'));

it('promotes a version on a route-optimized endpoint, probing it at its data-plane URL with an OAuth token', async () => {
  const state = (await (await fetch(`${rig.emu.url('us-east-1')}/__emulator/state`)).json()) as any;
  const id = state.regions['us-east-1'].endpoints[0].id as string;
  const { handle, report } = await rollOutGoodVersion();
  expect(report.outcome).toBe('succeeded');
  expect(report.regions.map((r) => [r.region, r.outcome])).toEqual([
    ['us-east-1', 'promoted'],
    ['eu-west-1', 'promoted'],
  ]);
  for (const region of report.regions)
    expect(region.checks.map((c) => [c.check, c.stage, c.passed])).toEqual(
      expect.arrayContaining([
        ['health', 'canary', true],
        ['load', 'canary', true],
        ['canary', 'canary', true],
        ['edge-cases', 'half', true],
      ]),
    );

  const us = invocations('us-east-1');
  const dataPlane = `/serving-data-plane/${id}/serving-endpoints/${ENDPOINT}/`;
  // Health, edge cases and canary probes per served model, the load test by traffic split: all at the data plane.
  expect(us.filter((line) => line.includes('/served-models/')).length).toBeGreaterThan(300); // canary probes, mostly
  expect(us.filter((line) => !line.includes(dataPlane))).toEqual([]);
  expect(us.some((line) => line.includes(`${dataPlane}invocations 200`))).toBe(true);
  expect(us.some((line) => /served-models\/[^/]+\/invocations 200$/.test(line))).toBe(true);
  expect(rig.requests).toContain('[us-east-1] POST /oidc/v1/token 200');
  const eu = invocations('eu-west-1');
  expect(eu.length).toBeGreaterThan(40);
  expect(eu.every((line) => line.startsWith(`[eu-west-1] POST /serving-endpoints/${ENDPOINT}/`))).toBe(true);

  // Neither the client secret nor a token enters the workflow's history.
  const history = JSON.stringify((await handle.fetchHistory()).events ?? []);
  expect(history).not.toMatch(/eyJemu\.|secret-rollout-bot-0001/);
}, 60_000);

it('refuses in pre-flight, touching nothing, when the route-optimized region has a PAT-only profile', async () => {
  writeFileSync(rig.configFile, rig.emu.databricksConfig()); // PATs only, before any worker has read the file
  const { report } = await rollOutGoodVersion();
  expect(report.outcome).toBe('failed');
  expect(report.regions.map((r) => r.outcome)).toEqual(['skipped', 'skipped']);
  expect(report.error).toMatch(
    /^pre-flight failed, nothing was touched: us-east-1\/fraud-detector: serving endpoint 'fraud-detector' in profile "us-east-1" \(http:\/\/127\.0\.0\.1:\d+\) is route-optimized: Databricks accepts only OAuth tokens for it, at its data-plane URL, and this workspace's credentials are a personal access token\. Configure OAuth M2M for this workspace: client_id and client_secret of a service principal with CAN_QUERY on the endpoint/,
  );
  expect(invocations('us-east-1')).toEqual([]);
  expect(rig.requests.filter((line) => line.includes(' PUT '))).toEqual([]);
  expect(await rig.serving()).toEqual({
    'us-east-1': ['fraud_detector-1@1:100'],
    'eu-west-1': ['fraud_detector-1@1:100'],
    'ap-southeast-1': ['fraud_detector-1@1:100'],
  });
}, 60_000);
