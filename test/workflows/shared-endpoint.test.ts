/**
 * Issue 11: two models on one endpoint, on a real dev server and the emulator. A rollout of fraud_scorer on the
 * endpoint it shares with fraud_detector keeps fraud_detector's served entity and its 70% through every stage and the
 * promotion (on main the promotion removed it); a plan whose `replaces` names the other model's entity, or an
 * endpoint that leaves the model no traffic, stops the region before anything is touched.
 */
import { checkedRollouts, readEndpoints } from '../support/invariant';
import { SCORER, servedLines, withSharedEndpoints } from '../support/shared-endpoints';
import { ENDPOINT, Rig, rolloutWorld, useRig } from '../support/temporal';
import { rolloutStatusQuery } from '../../src/shared/messages';
import { rolloutReport } from '../../src/rollouts';

const rigOf = useRig(() => withSharedEndpoints(rolloutWorld(), 70));
let rig: Rig;
beforeEach(() => {
  rig = rigOf();
});
const { startRollout, invariantHolds } = checkedRollouts(() => rig);
const SHARED = ['fraud_detector-1@1:70', 'fraud_scorer-1@1:30'];

async function registerScorer(): Promise<number> {
  const res = await fetch(`${rig.emu.url(rig.emu.world.primary)}/__emulator/models/${SCORER}/versions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ behavior: 'candidate-good', registration_duration: '50ms' }),
  });
  return ((await res.json()) as { version: number }).version;
}

const scorerPlan = (overrides: Parameters<Rig['plan']>[0] = {}) => rig.plan({ model: SCORER, ...overrides });

it("rolls fraud_scorer out within its 30% and keeps fraud_detector's entity and 70% at every stage", async () => {
  const version = await registerScorer();
  const plan = scorerPlan({
    stages: [
      { name: 'canary', traffic: 10, bake: '1s' },
      { name: 'half', traffic: 50, bake: '300ms' },
    ],
  });
  const { handle } = await startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'test' });
  // During the canary bake: 10% of the scorer's 30% is 3%, the detector untouched.
  for (;;) {
    const status = await handle.query(rolloutStatusQuery);
    if (status.regions.every((r) => r.phase === 'baking' && r.stage === 'canary')) break;
    if (status.regions.some((r) => r.stage === 'half')) throw new Error('missed the canary bake');
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const region of rig.emu.regions)
    expect([region, (await rig.serving())[region]]).toEqual([
      region,
      ['fraud_detector-1@1:70', 'fraud_scorer-1@1:27', `fraud_scorer-${version}@${version}:3`],
    ]);
  const report = await rolloutReport(handle);
  expect(report.outcome).toBe('succeeded');
  expect(report.regions.map((r) => r.outcome)).toEqual(['promoted', 'promoted', 'promoted']);
  const promoted = ['fraud_detector-1@1:70', `fraud_scorer-${version}@${version}:30`];
  expect(await rig.serving()).toEqual({ 'us-east-1': promoted, 'eu-west-1': promoted, 'ap-southeast-1': promoted });
  // Every update the rollout made kept the detector (the invariant checker's shared-endpoint check, from the log).
  const log = (await readEndpoints(rig.emu.url(rig.emu.world.primary), ENDPOINT))['eu-west-1'].log;
  expect(log.map((u) => servedLines({ servedEntities: u.served_entities, routes: u.routes }))).toEqual([
    ['fraud_detector-1@1:70', 'fraud_scorer-1@1:27', `fraud_scorer-${version}@${version}:3`],
    ['fraud_detector-1@1:70', 'fraud_scorer-1@1:15', `fraud_scorer-${version}@${version}:15`],
    promoted,
  ]);
  await invariantHolds();
});

/** Rolls a new fraud_scorer version out to us-east-1 alone (with `replaces` if given); returns its only region. */
async function rollOutScorerInPrimary(replaces?: string) {
  const version = await registerScorer();
  const plan = scorerPlan();
  const regions = plan.regions.slice(0, 1).map((r) => (replaces ? { ...r, replaces } : r));
  const { handle } = await startRollout(rig.client, {
    plan: { ...plan, regions },
    edgeCases: [],
    version,
    triggeredBy: 'test',
  });
  const report = await rolloutReport(handle);
  expect(report.outcome).toBe('failed');
  return report.regions[0];
}

it("stops a region untouched when replaces names the other model's served entity, naming the field and the fix", async () => {
  const region = await rollOutScorerInPrimary('fraud_detector-1');
  expect(region.outcome).toBe('untouched');
  expect(region.error).toMatch(
    /^replaces: "fraud_detector-1" on us-east-1\/fraud-detector serves main\.ml\.fraud_detector, another model; .*name one of those, or remove replaces$/,
  );
  expect((await rig.serving())['us-east-1']).toEqual(SHARED);
  await invariantHolds();
});

it('stops a region untouched when the other model holds all the traffic, naming the endpoint', async () => {
  // fraud_detector takes 100%: fraud_scorer-1 is served at 0%.
  const primary = rig.emu.world.primary;
  const current = (await readEndpoints(rig.emu.url(primary), ENDPOINT))[primary].config;
  const res = await fetch(`${rig.emu.url(primary)}/api/2.0/serving-endpoints/${ENDPOINT}/config`, {
    method: 'PUT',
    headers: { Authorization: 'Bearer dapi-rollout-bot-0001', 'Content-Type': 'application/json' },
    body: JSON.stringify({
      served_entities: current.servedEntities,
      traffic_config: {
        routes: [
          { served_entity_name: 'fraud_detector-1', traffic_percentage: 100 },
          { served_entity_name: 'fraud_scorer-1', traffic_percentage: 0 },
        ],
      },
    }),
  });
  expect(res.status).toBe(200);
  while ((await readEndpoints(rig.emu.url(primary), ENDPOINT))[primary].updating)
    await new Promise((r) => setTimeout(r, 50));
  const region = await rollOutScorerInPrimary();
  expect(region.outcome).toBe('untouched');
  expect(region.error).toMatch(
    /^us-east-1\/fraud-detector gives all its traffic to served entities this rollout keeps \(fraud_detector-1 100%\), leaving none for main\.ml\.fraud_scorer; /,
  );
  expect((await rig.serving())['us-east-1']).toEqual(['fraud_detector-1@1:100', 'fraud_scorer-1@1:0']);
  await invariantHolds();
});
