/**
 * Worker Versioning settings of a worker process: the Temporal worker deployment it belongs to and its build id, from
 * flags or the environment (ROLLOUT_DEPLOYMENT_NAME, ROLLOUT_BUILD_ID). Neither given: the worker is unversioned, as
 * before. Both given: every workflow it starts runs to its end on this build unless its type says AUTO_UPGRADE
 * (src/workflows/versioning.ts), so a new build ships new workflow code without `patched()` branches.
 */
import type { WorkerDeploymentVersion } from '@temporalio/common';
import type { WorkerDeploymentOptions } from '@temporalio/worker';

/** A worker's deployment version; undefined: unversioned. */
export type WorkerDeployment = WorkerDeploymentVersion | undefined;

export const DEPLOYMENT_NAME_ENV = 'ROLLOUT_DEPLOYMENT_NAME';
export const BUILD_ID_ENV = 'ROLLOUT_BUILD_ID';

/** The server's limit on either part of a version (bytes). */
const MAX_LENGTH = 255;

function checkedPart(field: string, value: string, extra: (value: string) => string | undefined): string {
  const problem =
    value.trim() === ''
      ? 'is empty'
      : value !== value.trim() || /\s/.test(value)
        ? 'contains whitespace'
        : Buffer.byteLength(value) > MAX_LENGTH
          ? `is longer than ${MAX_LENGTH} bytes`
          : extra(value);
  if (problem) throw new Error(`${field} ${problem}: ${JSON.stringify(value)}`);
  return value;
}

/**
 * The deployment from `--deployment-name`/`--build-id` (flags win) or the environment. Throws an error naming the
 * field when only one is given or one is not a valid name.
 */
export function workerDeploymentFrom(
  flags: { deploymentName?: string; buildId?: string },
  env: NodeJS.ProcessEnv = process.env,
): WorkerDeployment {
  const deploymentName = flags.deploymentName ?? env[DEPLOYMENT_NAME_ENV];
  const buildId = flags.buildId ?? env[BUILD_ID_ENV];
  if (deploymentName === undefined && buildId === undefined) return undefined;
  if (deploymentName === undefined || buildId === undefined)
    throw new Error(
      `${deploymentName === undefined ? `${DEPLOYMENT_NAME_ENV} (--deployment-name)` : `${BUILD_ID_ENV} (--build-id)`} ` +
        'is missing: a versioned worker needs both its deployment name and its build id; give both, or neither ' +
        'for an unversioned worker',
    );
  return {
    deploymentName: checkedPart(`${DEPLOYMENT_NAME_ENV} (--deployment-name)`, deploymentName, (name) =>
      // The server joins name and build id with a dot in a version's canonical string.
      name.includes('.') ? "contains '.', which Temporal does not allow in a deployment name" : undefined,
    ),
    buildId: checkedPart(`${BUILD_ID_ENV} (--build-id)`, buildId, () => undefined),
  };
}

/**
 * Worker.create's `workerDeploymentOptions` for a deployment. The default behaviour is PINNED: a workflow type that
 * does not declare its own (a type added in a later build, say) stays on the build that started it, which is always
 * safe; the long-lived types that must move to new builds declare AUTO_UPGRADE themselves.
 */
export function deploymentOptions(deployment: WorkerDeployment): { workerDeploymentOptions?: WorkerDeploymentOptions } {
  if (!deployment) return {};
  return {
    workerDeploymentOptions: { useWorkerVersioning: true, version: deployment, defaultVersioningBehavior: 'PINNED' },
  };
}
