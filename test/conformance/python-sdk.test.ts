/**
 * The official Python SDK (`databricks-sdk`, pinned in scripts/python-clients.txt) against the emulator over real
 * HTTP, for the calls issue 13 found missing or wrong: who am I (SCIM Me), schemas, AI Gateway, an unknown path and a
 * body over the payload limit. The Python side is test/conformance/python_sdk_calls.py; it prints JSON, checked here.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensurePythonClients } from '../../scripts/python-clients';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { ADMIN_TOKEN, testWorld } from '../support/emulator';

const SCRIPT = join(__dirname, 'python_sdk_calls.py');
const run = promisify(execFile);

let python: string;
let emu: RunningEmulator;
beforeAll(async () => {
  python = ensurePythonClients();
  emu = await startEmulator(testWorld());
}, 600_000);
afterAll(() => emu?.close());

it('answers the SDK as a workspace does: current user, schemas, AI Gateway, ENDPOINT_NOT_FOUND and 413', async () => {
  const home = mkdtempSync(join(tmpdir(), 'python-sdk-'));
  const { stdout } = await run(python, [SCRIPT, 'main', 'ml', 'churn'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      DATABRICKS_HOST: emu.url('us-east-1'),
      DATABRICKS_TOKEN: ADMIN_TOKEN,
      DATABRICKS_CONFIG_FILE: join(home, 'no-databrickscfg'),
    },
    cwd: home,
    timeout: 120_000,
    maxBuffer: 1 << 20,
  });
  const answer = JSON.parse(stdout.trim().split('\n').pop()!);
  const gateway = {
    fallback_config: { enabled: true },
    rate_limits: [
      { calls: 100, renewal_period: 'minute' },
      { calls: 10, key: 'user', principal: 'ana@example.com', renewal_period: 'minute' },
    ],
    usage_tracking_config: { enabled: true },
  };
  expect(answer).toEqual({
    me: { user_name: 'test-client', display_name: 'admin', active: true },
    schemas: ['main.ml'],
    schema: { full_name: 'main.ml', catalog_name: 'main', name: 'ml' },
    put_ai_gateway: gateway,
    get_ai_gateway: gateway,
    unknown_path: {
      class: 'NotFound',
      error_code: 'ENDPOINT_NOT_FOUND',
      message: "No API found for 'GET /api/2.0/no-such-api'",
    },
    bad_gateway: {
      class: 'InvalidParameterValue',
      error_code: 'INVALID_PARAMETER_VALUE',
      message: "'rate_limits[0].renewal_period' is required and must be 'minute'.",
    },
    too_large: expect.objectContaining({ error_code: 'REQUEST_ENTITY_TOO_LARGE' }),
  });
  expect(answer.too_large.message).toMatch(/16 MB/);
}, 300_000);
