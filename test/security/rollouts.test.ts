/**
 * Security on a real Temporal dev server and the emulator: data residency refused in pre-flight, approval
 * allow-lists, a rollout with payload encryption, a rollout with notification channels (webhook URLs and signing
 * secrets), and (last) a scan of every history and log line this file produced for every credential it used.
 */
import { installTestRuntime } from '../support/runtime';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { Runtime, type Logger } from '@temporalio/worker';
import { AesGcmCodec, ENCRYPTED_ENCODING, type CodecKey } from '../../src/codec';
import { parseCodecServerTokens, startCodecServer } from '../../src/codec/server';
import { DatabricksClient } from '../../src/databricks';
import { main } from '../../src/cli/main';
import { describeChanges } from '../../src/follow';
import { startRollout, rolloutReport } from '../../src/rollouts';
import {
  approveSignal,
  approveUpdate,
  regionStatusQuery,
  regionWorkflowId,
  rolloutStatusQuery,
} from '../../src/shared/messages';
import { channelEnvVar } from '../../src/shared/notifications';
import { RESIDENCY_TAG } from '../../src/shared/residency';
import { EDGE_CASES, MODEL, Rig, until, useRig } from '../support/temporal';

// Every log line of the worker runtime (workflow, activity and core loggers), kept for the scan at the end. The
// runtime is process-wide and often created by an earlier test file (jest runs them in band), so the scan wraps
// whichever logger it has rather than installing its own, and records every level, also those it does not print.
const logLines: string[] = [];
installTestRuntime(); // printed as createTemporalEnv prints them
const runtimeLogger: Logger = Runtime.instance().logger;
const printLog = runtimeLogger.log.bind(runtimeLogger);
runtimeLogger.log = (level, message, meta) => {
  logLines.push(`${level} ${message} ${safeJson(meta)}`);
  printLog(level, message, meta);
};
const consoleLines: string[] = [];
for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  const original = console[method].bind(console);
  jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
    consoleLines.push(args.map((a) => (typeof a === 'string' ? a : safeJson(a))).join(' '));
    if (method === 'error') original(...args);
  });
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) =>
      typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v,
    );
  } catch {
    return String(value);
  }
}

const rigOf = useRig();
let rig: Rig;
beforeEach(() => {
  rig = rigOf();
});

const ORIGINAL = ['fraud_detector-1@1:100'];
/** Every rollout this file started (workflow id, first run id): the scan must find each of them. */
const started: { workflowId: string; runId: string }[] = [];
async function start(client: Client, input: Parameters<typeof startRollout>[1]) {
  const result = await startRollout(client, input);
  started.push({ workflowId: result.workflowId, runId: result.handle.firstExecutionRunId });
  return result;
}
/** Every credential this file hands to anything: checked against histories and logs at the end. */
const secrets = new Set<string>();
const codecKeys: CodecKey[] = [];

function rememberCredentials() {
  for (const p of rig.emu.world.principals) {
    if (p.token) secrets.add(p.token);
    if (p.client_secret) secrets.add(p.client_secret);
  }
  // OAuth access tokens the emulator issued to the workers.
  const issued = (rig.emu.emulator.auth as unknown as { issued: Map<string, unknown> }).issued;
  for (const token of issued.keys()) secrets.add(token);
}
afterEach(() => rememberCredentials());

async function registerTagged(tags: Record<string, string>): Promise<number> {
  const res = await fetch(`${rig.emu.url(rig.emu.world.primary)}/__emulator/models/${MODEL}/versions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ behavior: 'candidate-good', registration_duration: '50ms', tags }),
  });
  if (!res.ok) throw new Error(await res.text());
  return ((await res.json()) as { version: number }).version;
}

const JURISDICTIONS: Record<string, string> = { 'us-east-1': 'US', 'eu-west-1': 'EU', 'ap-southeast-1': 'SG' };
const withJurisdictions = (r: Rig, overrides: Parameters<Rig['plan']>[0] = {}) => {
  const plan = r.plan(overrides);
  for (const region of plan.regions) region.jurisdiction = JURISDICTIONS[region.name];
  return plan;
};

describe('data residency', () => {
  it('refuses in pre-flight, touching nothing, to serve a version where its tag does not allow it', async () => {
    const version = await registerTagged({ [RESIDENCY_TAG]: 'US,EU' });
    const { handle } = await start(rig.client, {
      plan: withJurisdictions(rig),
      edgeCases: [],
      version,
      triggeredBy: 'test',
    });
    const report = await rolloutReport(handle);
    expect(report.outcome).toBe('failed');
    expect(report.error).toContain('pre-flight failed, nothing was touched');
    expect(report.error).toContain(
      `${MODEL} v${version} may not be served in ap-southeast-1 (jurisdiction SG): its ${RESIDENCY_TAG} tag allows US, EU`,
    );
    expect(report.regions.map((r) => r.outcome)).toEqual(['skipped', 'skipped', 'skipped']);
    expect(await rig.serving()).toEqual({
      'us-east-1': ORIGINAL,
      'eu-west-1': ORIGINAL,
      'ap-southeast-1': ORIGINAL,
    });
  });

  it('refuses an untagged version in regions with a jurisdiction; a tag set through the API lets it through', async () => {
    const version = await registerTagged({});
    const refused = await rolloutReport(
      (await start(rig.client, { plan: withJurisdictions(rig), edgeCases: [], version, triggeredBy: 'test' })).handle,
    );
    expect(refused.outcome).toBe('failed');
    expect(refused.error).toContain(`the version has no ${RESIDENCY_TAG} tag in Unity Catalog`);
    expect(await rig.serving()).toEqual({
      'us-east-1': ORIGINAL,
      'eu-west-1': ORIGINAL,
      'ap-southeast-1': ORIGINAL,
    });

    // Tagged the way a data steward would (MLflow's UC registry API), the same version rolls out everywhere.
    const primary = rig.emu.world.primary;
    const uc = new DatabricksClient({ host: rig.emu.url(primary), token: rig.emu.token(primary), env: {} })
      .unityCatalog;
    await uc.setModelVersionTag(MODEL, version, RESIDENCY_TAG, 'US, EU, SG');
    expect(await uc.getModelVersionTags(MODEL, version)).toEqual({ [RESIDENCY_TAG]: 'US, EU, SG' });
    // Same workflow id: the first run is closed, so this starts a new run.
    const report = await rolloutReport(
      (await start(rig.client, { plan: withJurisdictions(rig), edgeCases: [], version, triggeredBy: 'test' })).handle,
    );
    expect(report.outcome).toBe('succeeded');
  });
});

describe('approval allow-lists', () => {
  it('answers and records approvals from identities the plan does not allow; an allowed one approves', async () => {
    const version = await rig.register('candidate-good');
    const plan = rig.plan({
      approvals: { allowed: ['alice', 'carol'] },
      stages: [{ name: 'canary', traffic: 10, approval: true }],
      timeouts: { replication: '10s', config_update: '10s', approval: '2m' },
    });
    const { handle, workflowId } = await start(rig.client, {
      plan,
      edgeCases: [],
      version,
      triggeredBy: 'test',
    });
    await until(
      'every region awaiting approval',
      async () => {
        const status = await handle.query(rolloutStatusQuery);
        return status.regions.every((r) => r.phase === 'awaiting-approval') ? true : undefined;
      },
      60_000,
    );

    // An update from bob: refused with the reason, and recorded.
    const refused = await handle
      .executeUpdate(approveUpdate, { args: [{ approver: 'bob', reason: 'ship it' }] })
      .catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((refused as WorkflowUpdateFailedError).cause?.message).toBe(
      `bob may not approve ${workflowId}: the plan's approvals.allowed lists only alice, carol`,
    );
    // The rollout command gives the same answer, with exit 7 (refused).
    let stderr = '';
    const exit = await main(['approve', workflowId, '--as', 'dave', '--reason', 'from CI'], {
      out: () => undefined,
      err: (text) => (stderr += text),
      env: { TEMPORAL_ADDRESS: rig.env.address, TEMPORAL_NAMESPACE: 'default', HOME: tmpdir() },
    });
    expect([exit, stderr]).toEqual([
      7,
      `rollout approve: refused: dave may not approve ${workflowId}: the plan's approvals.allowed lists only alice, carol\n`,
    ]);
    // A signal (temporal workflow signal) from mallory: no answer possible, but recorded the same way.
    await handle.signal(approveSignal, { approver: 'mallory', reason: 'via signal' });
    // Straight to a region's own workflow: the region checks the same list.
    const eu = rig.client.workflow.getHandle(regionWorkflowId(workflowId, 'eu-west-1'));
    await expect(eu.executeUpdate(approveUpdate, { args: [{ approver: 'eve' }] })).rejects.toThrow(
      WorkflowUpdateFailedError,
    );
    const status = await until('the signal recorded', async () => {
      const s = await handle.query(rolloutStatusQuery);
      return (s.refusedApprovals ?? []).length === 3 ? s : undefined;
    });
    expect(status.refusedApprovals!.map((r) => [r.by, r.reason])).toEqual([
      ['bob', 'ship it'],
      ['dave', 'from CI'],
      ['mallory', 'via signal'],
    ]);
    expect(describeChanges(undefined, status)).toContain(
      `rollout: approval REFUSED: mallory may not approve ${workflowId}: the plan's approvals.allowed lists only alice, carol`,
    );
    expect(status.regions.every((r) => r.phase === 'awaiting-approval' && r.approvals.length === 0)).toBe(true);
    const euStatus = await eu.query(regionStatusQuery);
    expect(euStatus.refusedApprovals!.map((r) => [r.by, r.stage, r.why])).toEqual([
      ['eve', 'canary', expect.stringContaining('eve may not approve') as string],
    ]);

    const approved = await handle.executeUpdate(approveUpdate, { args: [{ approver: 'alice', reason: 'reviewed' }] });
    expect(approved.decision).toBe('approved');
    const report = await rolloutReport(handle);
    expect(report.outcome).toBe('succeeded');
    expect(report.regions.flatMap((r) => r.approvals.map((a) => [a.by, a.decision]))).toEqual([
      ['alice', 'approved'],
      ['alice', 'approved'],
      ['alice', 'approved'],
    ]);
    expect(report.refusedApprovals!.map((r) => r.by)).toEqual(['bob', 'dave', 'mallory']);

    // The refused update is in the history too: accepted with bob's request, completed with the refusal.
    const events = (await handle.fetchHistory()).events ?? [];
    const completed = events.filter((e) => e.workflowExecutionUpdateCompletedEventAttributes?.outcome?.failure);
    expect(completed.map((e) => e.workflowExecutionUpdateCompletedEventAttributes!.outcome!.failure!.message)).toEqual([
      expect.stringContaining('bob may not approve') as string,
      expect.stringContaining('dave may not approve') as string,
    ]);
  });
});

describe('payload encryption', () => {
  it('runs a rollout with encrypted payloads: history is ciphertext, the codec server decodes it', async () => {
    const keys = [
      { id: 'k2', key: randomBytes(32) },
      { id: 'k1', key: randomBytes(32) },
    ];
    codecKeys.push(...keys);
    const codec = new AesGcmCodec(keys);
    await rig.stopWorkers();
    rig.dataConverter = { payloadCodecs: [codec] };
    await rig.startWorkers();
    const client = new Client({
      connection: rig.env.connection,
      namespace: rig.env.namespace ?? 'default',
      dataConverter: rig.dataConverter,
    });
    const version = await rig.register('candidate-good');
    const plan = rig.plan({ tests: { edge_cases: { file: 'inline', tolerance: 0.02 } } });
    const { handle } = await start(client, { plan, edgeCases: EDGE_CASES, version, triggeredBy: 'test' });
    const report = await rolloutReport(handle);
    expect(report.outcome).toBe('succeeded');

    // Read without the codec (as the server and the UI without a codec server see it).
    const history = await rig.client.workflow.getHandle(handle.workflowId).fetchHistory();
    // Search attributes stay readable by design (the server indexes them; they hold model, version, regions,
    // status), and so do the SDK's patch markers (a patch id) and the trace context headers of src/tracing.ts (a
    // W3C traceparent: trace and span ids, nothing else); every other payload is ciphertext.
    const all = collectPayloadPaths(history);
    const traceHeaders = all.filter(({ path }) => path.endsWith('.header.fields._tracer-data'));
    for (const { payload } of traceHeaders)
      expect(Object.keys(JSON.parse(Buffer.from(payload.data!).toString()) as object)).toEqual(['traceparent']);
    const payloads = all
      .filter(({ path }) => !/\.searchAttributes\.|\.patch-data\.|\.header\.fields\._tracer-data$/.test(path))
      .map(({ payload }) => payload);
    expect(payloads.length).toBeGreaterThan(20);
    for (const payload of payloads) {
      expect(Buffer.from(payload.metadata!.encoding).toString()).toBe(ENCRYPTED_ENCODING);
      expect(Buffer.from(payload.data!).toString('latin1')).not.toContain(MODEL);
    }
    expect(JSON.stringify(history)).not.toContain('fraud-detector');

    // Through the codec server (what the Web UI calls with --ui-codec-endpoint), an allowed caller reads them.
    const token = 'ops-token-0123456789abcdef';
    const server = await startCodecServer({
      codec,
      corsOrigins: [],
      tokens: parseCodecServerTokens(`ops:${token}`),
    });
    secrets.add(token);
    try {
      const res = await fetch(`${server.url}/default/decode`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({
          payloads: payloads.map((p) => ({
            metadata: Object.fromEntries(
              Object.entries(p.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
            ),
            data: Buffer.from(p.data!).toString('base64'),
          })),
        }),
      });
      expect(res.status).toBe(200);
      const decoded = ((await res.json()) as { payloads: { data: string }[] }).payloads.map((p) =>
        Buffer.from(p.data, 'base64').toString('utf8'),
      );
      expect(decoded.join('\n')).toContain(`"model":"${MODEL}"`);
    } finally {
      await server.close();
    }

    // `rollout history` decrypts with the same keys: the trigger, the outcome and the activities read as text.
    const historyCommand = async (extraEnv: Record<string, string>) => {
      let out = '';
      const exit = await main(['history', handle.workflowId], {
        out: (text) => (out += text),
        err: (text) => (out += text),
        env: { TEMPORAL_ADDRESS: rig.env.address, TEMPORAL_NAMESPACE: 'default', HOME: tmpdir(), ...extraEnv },
      });
      return { exit, out };
    };
    const keysVariable = keys.map((k) => `${k.id}:${k.key.toString('base64')}`).join(',');
    const readable = await historyCommand({ ROLLOUT_CODEC_KEYS: keysVariable });
    expect(readable.exit).toBe(0);
    expect(readable.out).toMatch(new RegExp(`rollout of ${MODEL} v${version} to .*, triggered by test`));
    expect(readable.out).toMatch(/finished: succeeded/);
    // Without the keys the same command cannot read the encrypted trigger (what it printed before decoding).
    const unreadable = await historyCommand({});
    expect(unreadable.out).not.toMatch(/triggered by test/);
  });
});

/** Every Payload in a history (anything with metadata and data), with its path. */
function collectPayloadPaths(value: unknown, path = '', out: { path: string; payload: Payload }[] = []) {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return out;
  const candidate = value as { metadata?: unknown; data?: unknown };
  if (candidate.metadata && typeof candidate.metadata === 'object' && candidate.data instanceof Uint8Array) {
    out.push({ path, payload: candidate as Payload });
    return out;
  }
  for (const [k, child] of Object.entries(value)) collectPayloadPaths(child, `${path}.${k}`, out);
  return out;
}

/** All text in a history: strings, and every byte array read as UTF-8 (payload data is JSON, or base64 of it). */
function texts(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (value && typeof value === 'object')
    for (const child of Array.isArray(value) ? value : Object.values(value)) texts(child, out);
  return out;
}

/** A secret as it could appear: itself, and base64 / base64url at each of the three byte alignments. */
function forms(secret: string): string[] {
  const variants = [secret];
  for (const pad of ['', 'x', 'xy']) {
    const encoded = Buffer.from(pad + secret).toString('base64');
    // Keep the characters that depend only on the secret's own bytes.
    const start = Math.ceil((pad.length * 4) / 3) + (pad.length ? 1 : 0);
    const stable = encoded.slice(start, Math.floor(((pad.length + secret.length) * 4) / 3) - 1);
    if (stable.length >= 8) variants.push(stable, stable.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return variants;
}

describe('notification credentials', () => {
  it('keeps webhook URLs and signing secrets on the worker: deliveries succeed and fail without them in history', async () => {
    const token = randomBytes(12).toString('hex');
    const secret = `whsec_${randomBytes(16).toString('hex')}`;
    // One receiver: the signed webhook is taken, the Slack one is refused with a body that echoes its own URL.
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () =>
        req.url?.includes('slack') ? res.writeHead(404).end(`no_service for ${req.url}`) : res.writeHead(200).end('ok'),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const variables = {
      [channelEnvVar('audit', 'URL')]: `${base}/hooks/${token}/audit`,
      [channelEnvVar('audit', 'SECRET')]: secret,
      [channelEnvVar('ops-slack', 'URL')]: `${base}/slack/${token}`,
    };
    Object.assign(process.env, variables);
    for (const value of [token, secret, ...Object.values(variables)]) secrets.add(value);
    try {
      const version = await rig.register('candidate-good');
      const plan = rig.plan({
        notifications: [
          { channel: 'audit', kind: 'webhook' },
          { channel: 'ops-slack', kind: 'slack' },
        ],
      });
      const report = await rolloutReport(
        (await start(rig.client, { plan, edgeCases: [], version, triggeredBy: 'test' })).handle,
      );
      expect(report.outcome).toBe('succeeded');
      expect(report.notifications?.map((n) => [n.channel, n.result])).toEqual(
        expect.arrayContaining([
          ['audit', 'delivered'],
          ['ops-slack', 'failed'],
        ]),
      );
      const refused = report.notifications!.find((n) => n.channel === 'ops-slack')!;
      expect(refused.error).toContain('answered 404');
      expect(refused.error).toContain('<ROLLOUT_NOTIFY_OPS_SLACK_URL>'); // the echoed URL, redacted
      // The scan below reads this rollout's history and the logs for the token, the secret and the URLs.
    } finally {
      for (const name of Object.keys(variables)) delete process.env[name];
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('no credential in histories or logs', () => {
  it('scans every payload of every history on the server, the recorded histories and the logs', async () => {
    // One more rollout for the scan: a failing version (rollback) with ap-southeast-1 on OAuth M2M.
    const bot = rig.emu.world.principals.find((p) => p.client_secret)!;
    writeFileSync(
      rig.configFile,
      rig.emu.regions
        .map((r) =>
          r === 'ap-southeast-1'
            ? `[${r}]\nhost = ${rig.emu.url(r)}\nclient_id = ${bot.client_id}\nclient_secret = ${bot.client_secret}\n`
            : `[${r}]\nhost = ${rig.emu.url(r)}\ntoken = ${rig.emu.token(r)}\n`,
        )
        .join('\n'),
    );
    const version = await rig.register('candidate-bad');
    const plan = rig.plan({ tests: { edge_cases: { file: 'inline', tolerance: 0.02 } } });
    const report = await rolloutReport(
      (await start(rig.client, { plan, edgeCases: EDGE_CASES, version, triggeredBy: 'test' })).handle,
    );
    expect(report.outcome).toBe('rolled-back');
    expect(report.regions.map((r) => r.outcome)).toEqual(['rolled-back', 'rolled-back', 'rolled-back']);
    rememberCredentials();
    const issued = (rig.emu.emulator.auth as unknown as { issued: Map<string, unknown> }).issued;
    expect(issued.size).toBeGreaterThan(0); // ap-southeast-1 really went through OAuth
    for (const key of codecKeys) {
      secrets.add(key.key.toString('base64'));
      secrets.add(key.key.toString('hex'));
    }
    expect(secrets.size).toBeGreaterThanOrEqual(3);

    const codec = codecKeys.length ? new AesGcmCodec(codecKeys) : undefined;
    const sources: { name: string; text: string }[] = [];
    let histories = 0;
    let payloadCount = 0;
    const scanned = new Set<string>();
    for await (const execution of rig.client.workflow.list()) {
      const history = await rig.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
      histories++;
      scanned.add(`${execution.workflowId} ${execution.runId}`);
      const payloads = collectPayloadPaths(history).map(({ payload }) => payload);
      payloadCount += payloads.length;
      const decrypted = codec
        ? await codec.decode(
            payloads.filter((p) => Buffer.from(p.metadata?.encoding ?? []).toString() === ENCRYPTED_ENCODING),
          )
        : [];
      sources.push({
        name: `${execution.workflowId} (${execution.runId})`,
        text: [...texts(history), ...texts(decrypted), JSON.stringify(history)].join('\n'),
      });
    }
    const dir = join(__dirname, '..', 'histories');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')))
      sources.push({ name: `test/histories/${file}`, text: readFileSync(join(dir, file), 'utf8') });
    sources.push(
      { name: 'worker logs', text: logLines.join('\n') },
      { name: 'console', text: consoleLines.join('\n') },
    );

    // The scan found what it should scan: every rollout of this file, parents and regions.
    expect(started.filter((s) => !scanned.has(`${s.workflowId} ${s.runId}`))).toEqual([]);
    expect(histories).toBeGreaterThanOrEqual(started.length * 2);
    expect(payloadCount).toBeGreaterThan(started.length * 10);
    // The worker's log was read: its runtime logs every worker start and stop, at least.
    expect(logLines.length).toBeGreaterThan(0);
    const leaks = sources.flatMap(({ name, text }) =>
      [...secrets].flatMap((secret) =>
        forms(secret).some((form) => text.includes(form)) ? [`${name}: ${secret.slice(0, 4)}…`] : [],
      ),
    );
    expect(leaks).toEqual([]);
    // The scan would see a credential: the same check finds a token planted in a copy of a history.
    const planted = `${sources[0].text}{"token":"${Buffer.from([...secrets][0]).toString('base64')}"}`;
    expect(forms([...secrets][0]).some((form) => planted.includes(form))).toBe(true);
  });
});
