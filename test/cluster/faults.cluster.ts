/**
 * Fault scenarios only a real cluster has (`npm run test:cluster:faults`, scripts/cluster.ts): the history service
 * SIGKILLed mid-rollout and started again, and PostgreSQL crashed and started again. After each the rollout ends as it
 * would have without the fault, and the invariant (test/support/invariant.ts) holds: no endpoint left half-changed.
 */
import { killAndRestartService, restartPostgres } from '../../scripts/cluster';
import { rolloutReport, startRollout } from '../../src/rollouts';
import { rolloutStatusQuery } from '../../src/shared/messages';
import { checkRolloutInvariant, readEndpoints } from '../support/invariant';
import { ENDPOINT, until, useRig } from '../support/temporal';

const rigOf = useRig();

const FAULTS: [string, () => Promise<void>][] = [
  ['the history service is SIGKILLed for 3 s', () => killAndRestartService('history', 3_000)],
  ['PostgreSQL crashes for 3 s', () => restartPostgres(3_000)],
];

it.each(FAULTS)(
  'a rollout during which %s promotes, and leaves every endpoint consistent',
  async (_name, fault) => {
    const rig = rigOf();
    const primaryUrl = rig.emu.url(rig.emu.world.primary);
    const configs = async () =>
      Object.fromEntries(Object.entries(await readEndpoints(primaryUrl, ENDPOINT)).map(([r, e]) => [r, e.config]));
    const version = await rig.register('candidate-good');
    const plan = rig.plan({ stages: [{ name: 'canary', traffic: 10, bake: '5s' }] });
    const before = await configs();
    const { handle } = await startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'test' });
    await until(
      'a region baking its canary',
      async () =>
        (await handle.query(rolloutStatusQuery)).regions.some((r) => r.phase === 'baking') ? true : undefined,
      60_000,
    );
    await fault();
    expect((await rolloutReport(handle)).outcome).toBe('succeeded');
    const invariant = await checkRolloutInvariant({
      client: rig.client,
      rolloutId: handle.workflowId,
      plan,
      version,
      before,
      emulatorUrl: primaryUrl,
    });
    expect(invariant.problems).toEqual([]);
    expect(invariant.held).toBe(true);
  },
  300_000,
);
