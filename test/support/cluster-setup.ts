/**
 * Global setup of `npm run test:cluster` (jest.cluster.config.js): what the default setup does (the Temporal CLI), and
 * TEMPORAL_TEST_CLUSTER (and TEMPORAL_TEST_CLUSTER_UI) from the running cluster of scripts/cluster.ts, unless set.
 */
import { clusterState, frontendAddress } from '../../scripts/cluster';
import globalSetup from './global-setup';

export default function clusterSetup(): void {
  globalSetup();
  if (process.env.TEMPORAL_TEST_CLUSTER) return;
  const state = clusterState();
  if (!state)
    throw new Error('no Temporal cluster is running: `npm run cluster -- start`, or set TEMPORAL_TEST_CLUSTER');
  process.env.TEMPORAL_TEST_CLUSTER = frontendAddress(state);
  if (state.pids.ui) process.env.TEMPORAL_TEST_CLUSTER_UI = `http://127.0.0.1:${state.ports.ui}`;
}
