/**
 * The worker's Worker Versioning settings from flags and environment: unversioned unless asked, both parts required
 * together, and bad values refused with the field's name.
 */
import { deploymentOptions, workerDeploymentFrom } from '../../src/worker-versioning';

it('is unversioned without a deployment name or build id, as before', () => {
  expect(workerDeploymentFrom({}, {})).toBeUndefined();
  expect(deploymentOptions(undefined)).toEqual({});
});

it('reads the environment, and flags win over it', () => {
  const env = { ROLLOUT_DEPLOYMENT_NAME: 'model-rollout', ROLLOUT_BUILD_ID: '2026-12-03' };
  expect(workerDeploymentFrom({}, env)).toEqual({ deploymentName: 'model-rollout', buildId: '2026-12-03' });
  expect(workerDeploymentFrom({ buildId: 'abc123' }, env)).toEqual({
    deploymentName: 'model-rollout',
    buildId: 'abc123',
  });
  expect(deploymentOptions(workerDeploymentFrom({}, env))).toEqual({
    workerDeploymentOptions: {
      useWorkerVersioning: true,
      version: { deploymentName: 'model-rollout', buildId: '2026-12-03' },
      defaultVersioningBehavior: 'PINNED',
    },
  });
});

it.each([
  [{ deploymentName: 'model-rollout' }, /ROLLOUT_BUILD_ID \(--build-id\) is missing/],
  [{ buildId: 'abc' }, /ROLLOUT_DEPLOYMENT_NAME \(--deployment-name\) is missing/],
  [{ deploymentName: 'model.rollout', buildId: 'abc' }, /ROLLOUT_DEPLOYMENT_NAME .*contains '\.'/],
  [{ deploymentName: 'model-rollout', buildId: '' }, /ROLLOUT_BUILD_ID \(--build-id\) is empty/],
  [{ deploymentName: 'model rollout', buildId: 'abc' }, /ROLLOUT_DEPLOYMENT_NAME .*contains whitespace/],
  [{ deploymentName: 'model-rollout', buildId: 'x'.repeat(256) }, /ROLLOUT_BUILD_ID .*longer than 255 bytes/],
])('refuses %j naming the field', (flags, message) => {
  expect(() => workerDeploymentFrom(flags, {})).toThrow(message);
});
