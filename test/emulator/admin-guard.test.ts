/**
 * The emulator's admin API against a web page in the developer's browser: cross-origin writes refused (a text/plain
 * POST needs no preflight), no CORS granted, and with an admin token every admin call must carry it.
 */
import { startEmulator, type RunningEmulator } from '../../src/emulator';
import { call, testWorld } from '../support/emulator';

const fault = { kind: 'storm', status: 503, count: 1 };

describe('admin API without a token', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator(testWorld());
  });
  afterAll(() => emu.close());
  const faults = async () => (await call(emu, 'us-east-1', 'GET', '/__emulator/faults')).body.faults as unknown[];

  it('refuses writes a browser marks as cross-site or from another origin, and adds no fault', async () => {
    const before = (await faults()).length;
    for (const headers of <Record<string, string>[]>[
      { Origin: 'https://evil.example', 'Content-Type': 'text/plain' },
      { 'Sec-Fetch-Site': 'cross-site' },
      { 'Sec-Fetch-Site': 'same-site', Origin: 'http://localhost:1' },
      { Origin: 'null' },
    ]) {
      const answer = await call(emu, 'us-east-1', 'POST', '/__emulator/faults', {
        raw: JSON.stringify(fault),
        headers,
        token: null,
      });
      expect([answer.status, answer.body.error_code]).toEqual([403, 'PERMISSION_DENIED']);
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    }
    const deleted = await call(emu, 'us-east-1', 'DELETE', '/__emulator/faults', {
      headers: { Origin: 'https://evil.example' },
    });
    expect(deleted.status).toBe(403);
    expect((await faults()).length).toBe(before);
  });

  it('lets tools and same-origin pages write, and answers no CORS preflight', async () => {
    const url = new URL(emu.url('us-east-1'));
    const sameOrigin = await call(emu, 'us-east-1', 'POST', '/__emulator/faults', {
      body: fault,
      headers: { Origin: url.origin, 'Sec-Fetch-Site': 'same-origin' },
    });
    expect(sameOrigin.status).toBe(200);
    expect((await call(emu, 'us-east-1', 'POST', '/__emulator/faults', { body: fault })).status).toBe(200);
    const preflight = await call(emu, 'us-east-1', 'OPTIONS', '/__emulator/faults', {
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
    });
    expect(preflight.status).not.toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    await call(emu, 'us-east-1', 'DELETE', '/__emulator/faults');
  });
});

describe('admin API with a token', () => {
  let emu: RunningEmulator;
  const adminToken = 'emulator-admin-token-0123456789';
  beforeAll(async () => {
    emu = await startEmulator(testWorld(), { adminToken });
  });
  afterAll(() => emu.close());

  it('needs the token on every admin call, and never echoes it', async () => {
    for (const [method, path] of [
      ['GET', '/__emulator/state'],
      ['POST', '/__emulator/faults'],
    ]) {
      const missing = await call(emu, 'us-east-1', method, path, { body: method === 'POST' ? fault : undefined });
      expect(missing.status).toBe(403);
      const wrong = await call(emu, 'us-east-1', method, path, {
        headers: { 'X-Emulator-Admin-Token': 'wrong' },
        body: method === 'POST' ? fault : undefined,
      });
      expect(wrong.status).toBe(403);
      expect(wrong.text).not.toContain(adminToken);
    }
    const ok = await call(emu, 'us-east-1', 'GET', '/__emulator/state', {
      headers: { 'X-Emulator-Admin-Token': adminToken },
    });
    expect(ok.status).toBe(200);
    // The Databricks APIs are unaffected.
    expect((await call(emu, 'us-east-1', 'GET', '/api/2.0/serving-endpoints')).status).toBe(200);
  });
});
