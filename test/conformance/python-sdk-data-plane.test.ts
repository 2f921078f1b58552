/**
 * The official Python SDK (`databricks-sdk`, pinned in scripts/python-clients.txt) queries a route-optimized endpoint of
 * the emulator through `serving_endpoints_data_plane`: it reads `data_plane_info` from GET, exchanges its OAuth M2M
 * token for one scoped by `authorization_details` (the JWT bearer grant, without client authentication) and posts to
 * the data-plane URL. This pins the emulator's data plane to the form a real client sends, not only to ours.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { ensurePythonClients } from '../../scripts/python-clients';
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { MODEL, testWorld } from '../support/emulator';

const run = promisify(execFile);
const SCRIPT = `
import json, sys
from databricks.sdk import WorkspaceClient
host, client_id, client_secret, auth = sys.argv[1:5]
w = (WorkspaceClient(host=host, client_id=client_id, client_secret=client_secret, auth_type="oauth-m2m")
     if auth == "oauth" else WorkspaceClient(host=host, token=client_secret, auth_type="pat"))
try:
    answer = w.serving_endpoints_data_plane.query(name="fast", dataframe_records=[{"tenure": 4}])
    print(json.dumps({"ok": True, "predictions": answer.predictions}))
except Exception as err:
    print(json.dumps({"ok": False, "error": f"{type(err).__name__}: {err}"}))
`;

let python: string;
let emu: RunningEmulator;
const log: string[] = [];
beforeAll(async () => {
  python = ensurePythonClients();
  const world = testWorld();
  world.regions[0].endpoints!.push({
    name: 'fast',
    route_optimized: true,
    served_entities: [{ entity_name: MODEL, entity_version: '1' }],
  });
  emu = await startEmulator(world, { log: (line) => log.push(line) });
}, 600_000);
afterAll(() => emu?.close());

async function query(auth: 'oauth' | 'pat', secret: string) {
  const { stdout } = await run(python, ['-c', SCRIPT, emu.url('us-east-1'), 'test-client', secret, auth], {
    env: { HOME: mkdtempSync(`${tmpdir()}/py-sdk-`), PATH: process.env.PATH ?? '' },
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as { ok: boolean; predictions?: unknown; error?: string };
}

it('queries the data plane with the token it exchanged', async () => {
  log.length = 0;
  expect(await query('oauth', 'test-secret-value')).toEqual({ ok: true, predictions: [3] });
  const seen = log.map((line) => line.replace(/ \d+ms$/, ''));
  expect(seen.filter((line) => line.includes('/oidc/v1/token'))).toEqual([
    '[us-east-1] POST /oidc/v1/token 200', // client credentials
    '[us-east-1] POST /oidc/v1/token 200', // the exchange
  ]);
  expect(seen).toContainEqual(
    expect.stringMatching(/^\[us-east-1\] POST \/serving-data-plane\/\w+\/serving-endpoints\/fast\/invocations 200$/),
  );
});

it('with a PAT, refuses before querying, as our client does (it has no OAuth token to exchange)', async () => {
  log.length = 0;
  const answer = await query('pat', 'dapi-test-admin-000001');
  expect(answer.ok).toBe(false);
  expect(answer.error).toMatch(/OAuth tokens are not available for pat authentication/);
  expect(log.filter((line) => line.includes('/serving-data-plane/') && / 200 /.test(line))).toEqual([]);
});
