/**
 * What the operational commands share: exit codes a pipeline can branch on, the Temporal connection (configured
 * exactly as the `temporal` CLI is: TEMPORAL_* variables and temporal.toml profiles), who is acting, and links to
 * the Temporal UI.
 */
import { userInfo } from 'node:os';
import { Client, Connection, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { CodecKeyError, dataConverterFromEnv } from '../codec';
import { normalizeIdentity } from '../shared/identity';
import { rolloutStatusQuery } from '../shared/messages';
import { CLI_SERVICE_NAME, startTracing, TracingConfigError, tracingSettingsFromEnv, type Tracing } from '../tracing';
import type { rolloutWorkflow } from '../workflows';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, type Io } from './command';

export const EXIT = {
  ok: EXIT_OK,
  unexpected: EXIT_FAILURE,
  invalidInput: EXIT_USAGE,
  temporalUnreachable: 3,
  awaitingApproval: 4,
  notSucceeded: 5,
  unknownRollout: 6,
  refused: 7,
  stillRunning: 8,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0  done (for start --wait: the rollout succeeded)
  2  invalid input (plan, flags, arguments)
  3  cannot reach Temporal (the address tried is printed)
  4  --timeout ran out while the rollout waits for approval
  5  the rollout ended without succeeding (rolled back, partially failed, failed, aborted, superseded, refused),
     or was terminated, cancelled or timed out in Temporal (no report)
  6  no rollout with that id
  7  the rollout refused the request (for example nothing awaits approval)
  8  --timeout ran out while the rollout is still running
  1  an unexpected error (a bug: the stack trace goes to stderr)`;

export const CONNECTION_HELP = `Connection: as the temporal CLI: TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE,
TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE and ~/.config/temporalio/temporal.toml. TEMPORAL_UI_URL sets
the Web UI base for links (default: the local dev server's UI, or Temporal Cloud's). Traces (off by default):
OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (OTLP/HTTP JSON), OTEL_SERVICE_NAME.`;

/** An error that ends the command with a given exit code and message (no stack trace). */
export class CommandError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

export interface Session {
  client: Client;
  namespace: string;
  address: string;
  close(): Promise<void>;
}

function envRecord(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/** Connects to Temporal as the temporal CLI would; exit 3 when it cannot. */
export async function connect(io: Io): Promise<Session> {
  const env = io.env ?? process.env;
  let config;
  try {
    config = loadClientConnectConfig({ overrideEnvVars: envRecord(env) });
  } catch (err) {
    throw new UsageError(`Temporal connection settings: ${(err as Error).message}`);
  }
  const address = config.connectionOptions.address ?? 'localhost:7233';
  const namespace = config.namespace ?? 'default';
  let dataConverter;
  try {
    // With ROLLOUT_CODEC_KEYS set, payloads are encrypted as the worker encrypts them.
    dataConverter = dataConverterFromEnv(env);
  } catch (err) {
    if (err instanceof CodecKeyError) throw new UsageError(`payload encryption: ${err.message}`);
    throw err;
  }
  let tracing: Tracing | undefined;
  try {
    const settings = tracingSettingsFromEnv(env, CLI_SERVICE_NAME);
    tracing = settings && startTracing(settings);
  } catch (err) {
    if (err instanceof TracingConfigError) throw new UsageError(`traces: ${err.message}`);
    throw err;
  }
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...config.connectionOptions, address, connectTimeout: '5s' });
  } catch (err) {
    await tracing?.shutdown();
    throw new CommandError(
      EXIT.temporalUnreachable,
      `cannot reach Temporal at ${address} (namespace ${namespace}): ${(err as Error).message}\nSet TEMPORAL_ADDRESS (and TEMPORAL_API_KEY / TLS for Temporal Cloud), or start a local server with npm run dev.`,
    );
  }
  return {
    client: new Client({ connection, namespace, dataConverter, plugins: tracing?.plugins }),
    namespace,
    address,
    close: async () => {
      // The command's spans are exported before it exits.
      await tracing?.shutdown();
      await connection.close();
    },
  };
}

/**
 * Who is acting: --as, else GITHUB_ACTOR (CI), else the OS user; normalised as the plan's approvals.allowed is
 * (src/shared/identity.ts), so " alice " is recorded as alice and invisible or control characters are refused.
 */
export function identity(as: string | undefined, io: Io): string {
  const env = io.env ?? process.env;
  const [source, who] =
    as !== undefined && as.trim()
      ? ['--as', as]
      : env.GITHUB_ACTOR?.trim()
        ? ['GITHUB_ACTOR', env.GITHUB_ACTOR]
        : ['the OS user name', safeUser()];
  if (!who?.trim()) throw new UsageError('cannot tell who you are: pass --as <name>');
  const normalized = normalizeIdentity(who);
  if (!normalized.ok) throw new UsageError(`${source}: ${normalized.problem}; pass --as <name>, e.g. --as octocat`);
  return normalized.identity;
}

function safeUser(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}

/** The Web UI page of a workflow, when the UI's address can be known. */
export function uiLink(
  session: Pick<Session, 'address' | 'namespace'>,
  workflowId: string,
  io: Io,
): string | undefined {
  const env = io.env ?? process.env;
  const base = uiBase(session, env);
  return (
    base && `${base}/namespaces/${encodeURIComponent(session.namespace)}/workflows/${encodeURIComponent(workflowId)}`
  );
}

export function uiBase(session: Pick<Session, 'address'>, env: NodeJS.ProcessEnv): string | undefined {
  if (env.TEMPORAL_UI_URL) return env.TEMPORAL_UI_URL.replace(/\/$/, '');
  const [host, port] = session.address.split(':');
  if (host.endsWith('.tmprl.cloud')) return 'https://cloud.temporal.io';
  if (['localhost', '127.0.0.1', '::1'].includes(host)) return `http://localhost:${Number(port ?? 7233) + 1000}`;
  return undefined;
}

/** Temporal's default limit on workflow ids (limit.maxIDLength); a longer id is refused by the server. */
export const MAX_WORKFLOW_ID_LENGTH = 1000;

/**
 * Checks a rollout id given on the command line before anything connects: Temporal answers an over-long id with an
 * error the commands did not expect (exit 1 and a stack where 2 is documented).
 */
export function checkRolloutId(id: string | undefined, command: string): void {
  if (id === undefined) return;
  if (id.length > MAX_WORKFLOW_ID_LENGTH)
    throw new UsageError(
      `rollout ${command}: the rollout id is ${id.length} characters; Temporal ids are at most ${MAX_WORKFLOW_ID_LENGTH}, e.g. rollout-main.ml.fraud_detector-v5`,
    );
  if (/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(id))
    throw new UsageError(
      `rollout ${command}: the rollout id holds control or invisible characters; copy it from rollout list, e.g. rollout-main.ml.fraud_detector-v5`,
    );
}

/** A handle on an existing rollout; exit 6 when there is none with that id. */
export async function existingRollout(
  session: Session,
  id: string | undefined,
  command: string,
): Promise<WorkflowHandle<typeof rolloutWorkflow>> {
  if (!id) throw new UsageError(`rollout ${command}: give the rollout id, e.g. rollout-main.ml.fraud_detector-v5`);
  const handle = session.client.workflow.getHandle<typeof rolloutWorkflow>(id);
  try {
    const description = await handle.describe();
    if (description.type !== 'rolloutWorkflow')
      throw new CommandError(
        EXIT.unknownRollout,
        `${id} is a ${description.type}, not a rollout; use the rollout's id (without /<region>)`,
      );
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      throw new CommandError(
        EXIT.unknownRollout,
        `no rollout with id ${id} in namespace ${session.namespace} at ${session.address}; list them with: rollout list`,
      );
    throw err;
  }
  return handle;
}

/** The live status, or undefined when no worker can answer (the rollout's history still has it). */
export async function liveStatus(handle: WorkflowHandle<typeof rolloutWorkflow>) {
  try {
    return await handle.query(rolloutStatusQuery);
  } catch {
    return undefined;
  }
}
