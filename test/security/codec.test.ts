/**
 * The AES-256-GCM payload codec (round trip, rotation, tampering, key configuration) and the codec server's HTTP
 * protocol, CORS and access control.
 */
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { AesGcmCodec, CodecKeyError, KEY_ID_METADATA, parseCodecKeys, type CodecKey } from '../../src/codec';
import { main } from '../../src/cli/main';
import { parseCodecServerTokens, startCodecServer, type RunningCodecServer } from '../../src/codec/server';

const key = (id: string): CodecKey => ({ id, key: randomBytes(32) });
const toPayload = (value: unknown) => defaultPayloadConverter.toPayload(value);
const fromPayload = (payload: Payload) => defaultPayloadConverter.fromPayload(payload);
/** A payload in the codec server protocol's proto3 JSON form (metadata values and data base64). */
const json = (payload: Payload) => ({
  metadata: Object.fromEntries(
    Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  ),
  data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
});

describe('AesGcmCodec', () => {
  const value = { approver: 'alice', reason: 'looks good', nested: [1, 2, 3] };

  it('round-trips payloads, and the encrypted form holds neither the value nor its encoding', async () => {
    const codec = new AesGcmCodec([key('k1')]);
    const [encrypted] = await codec.encode([toPayload(value)]);
    expect(Buffer.from(encrypted.metadata!.encoding).toString()).toBe('binary/encrypted');
    expect(Buffer.from(encrypted.metadata![KEY_ID_METADATA]).toString()).toBe('k1');
    const raw = Buffer.from(encrypted.data!).toString('latin1');
    expect(raw).not.toContain('alice');
    expect(raw).not.toContain('json/plain');
    const [decrypted] = await codec.decode([encrypted]);
    expect(fromPayload(decrypted)).toEqual(value);
    // A fresh IV each time: the same value never encrypts to the same bytes.
    const [again] = await codec.encode([toPayload(value)]);
    expect(Buffer.from(again.data!).equals(Buffer.from(encrypted.data!))).toBe(false);
  });

  it('decodes payloads written before a rotation with the old key, and encrypts with the first key', async () => {
    const k1 = key('k1');
    const k2 = key('k2');
    const [old] = await new AesGcmCodec([k1]).encode([toPayload(value)]);
    const rotated = new AesGcmCodec([k2, k1]);
    expect(fromPayload((await rotated.decode([old]))[0])).toEqual(value);
    const [fresh] = await rotated.encode([toPayload(value)]);
    expect(Buffer.from(fresh.metadata![KEY_ID_METADATA]).toString()).toBe('k2');
    // Once k1 is dropped, its payloads cannot be read, with a message that says which key is missing.
    await expect(new AesGcmCodec([k2]).decode([old])).rejects.toThrow(/encrypted with key "k1".*lists k2/);
  });

  it('passes unencrypted payloads through (histories from before encryption was turned on)', async () => {
    const plain = toPayload(value);
    expect(fromPayload((await new AesGcmCodec([key('k1')]).decode([plain]))[0])).toEqual(value);
  });

  it('detects tampering: a flipped bit, a relabelled key id, a truncated payload', async () => {
    const k1 = key('k1');
    const codec = new AesGcmCodec([k1, { id: 'k0', key: k1.key }]);
    const [encrypted] = await codec.encode([toPayload(value)]);
    const flipped = Buffer.from(encrypted.data!);
    flipped[20] ^= 1;
    await expect(codec.decode([{ ...encrypted, data: flipped }])).rejects.toThrow(/failed authentication/);
    // Same key bytes under another id: the id is authenticated, so relabelling is detected.
    const relabelled = { ...encrypted, metadata: { ...encrypted.metadata, [KEY_ID_METADATA]: Buffer.from('k0') } };
    await expect(codec.decode([relabelled])).rejects.toThrow(/failed authentication/);
    await expect(codec.decode([{ ...encrypted, data: Buffer.from(encrypted.data!).subarray(0, 10) }])).rejects.toThrow(
      /truncated/,
    );
  });

  it('reads keys from ROLLOUT_CODEC_KEYS and refuses bad ones with the key and the fix', () => {
    const a = randomBytes(32).toString('base64');
    const b = randomBytes(32).toString('base64');
    expect(parseCodecKeys(`k2:${a}, k1:${b}`).map((k) => k.id)).toEqual(['k2', 'k1']);
    const short = randomBytes(16).toString('base64');
    expect(() => parseCodecKeys(`k1:${short}`)).toThrow(CodecKeyError);
    expect(() => parseCodecKeys(`k1:${short}`)).toThrow(/key 1 \(k1\): AES-256 needs a 32-byte key, this one is 16/);
    expect(() => parseCodecKeys(`k1:${a},k1:${b}`)).toThrow(/"k1" is listed twice/);
    expect(() => parseCodecKeys(a)).toThrow(/write it as <id>:<base64 key>/);
    expect(() => parseCodecKeys('k1:not base64!')).toThrow(/not base64/);
    expect(() => parseCodecKeys(' , ')).toThrow(/is empty/);
  });
});

describe('codec server', () => {
  const ALICE = 'alice-token-0123456789';
  const BOB = 'bob-token-0123456789ab';
  const codec = new AesGcmCodec([key('k1')]);
  let server: RunningCodecServer;
  beforeAll(async () => {
    server = await startCodecServer({
      codec,
      corsOrigins: ['http://localhost:8233'],
      tokens: parseCodecServerTokens(`alice:${ALICE},bob:${BOB}`),
      allow: ['alice'],
    });
  });
  afterAll(() => server.close());

  const post = (path: string, body: unknown, token?: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-Namespace': 'default',
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: JSON.stringify(body),
    });

  it('decodes for an allowed caller, also under /{namespace}/decode, in proto3 JSON', async () => {
    const encrypted = await codec.encode([toPayload({ secretish: 'value' })]);
    for (const path of ['/decode', '/default/decode']) {
      const res = await post(path, { payloads: encrypted.map(json) }, ALICE);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
      expect(Buffer.from(body.payloads[0].metadata.encoding, 'base64').toString()).toBe('json/plain');
      expect(JSON.parse(Buffer.from(body.payloads[0].data, 'base64').toString())).toEqual({ secretish: 'value' });
    }
  });

  it('encodes for an allowed caller: what it returns the worker can decode', async () => {
    const res = await post('/encode', { payloads: [json(toPayload('hello'))] }, ALICE);
    const body = (await res.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    const payload: Payload = {
      metadata: Object.fromEntries(
        Object.entries(body.payloads[0].metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
      ),
      data: Buffer.from(body.payloads[0].data, 'base64'),
    };
    expect(fromPayload((await codec.decode([payload]))[0])).toBe('hello');
  });

  it('refuses callers without a token (401), with an unknown token (401) and not allowed (403)', async () => {
    const encrypted = (await codec.encode([toPayload('x')])).map(json);
    const none = await post('/decode', { payloads: encrypted });
    expect(none.status).toBe(401);
    expect(((await none.json()) as { message: string }).message).toMatch(/Authorization: Bearer/);
    expect((await post('/decode', { payloads: encrypted }, 'wrong-token-0123456789')).status).toBe(401);
    const bob = await post('/decode', { payloads: encrypted }, BOB);
    expect(bob.status).toBe(403);
    expect(((await bob.json()) as { message: string }).message).toBe(
      'bob may not decode payloads on this codec server',
    );
  });

  it('answers the Web UI preflight for its origin only, and sets CORS headers on answers', async () => {
    const preflight = await fetch(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://localhost:8233',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type,x-namespace,authorization',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    const other = await fetch(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example' },
    });
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const answer = await post('/decode', { payloads: [] }, ALICE, { Origin: 'http://localhost:8233' });
    expect(answer.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
  });

  it('answers malformed requests with 400 naming the field, unknown paths 404, other methods 405', async () => {
    const bad = await post('/decode', { payloads: [{ metadata: { encoding: 5 } }] }, ALICE);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/payloads\[0\]\.metadata\.encoding/);
    expect((await post('/decode', { nope: 1 }, ALICE)).status).toBe(400);
    expect((await post('/elsewhere', {}, ALICE)).status).toBe(404);
    expect((await fetch(`${server.url}/decode`, { headers: { Authorization: `Bearer ${ALICE}` } })).status).toBe(405);
  });

  it('refuses to start with nobody to allow, and refuses short tokens', () => {
    expect(() => startCodecServer({ codec, corsOrigins: [], tokens: new Map() })).toThrow(
      /ROLLOUT_CODEC_SERVER_TOKENS/,
    );
    expect(() => parseCodecServerTokens('alice:short')).toThrow(/shorter than 16/);
    expect(() => parseCodecServerTokens('alice')).toThrow(/identity:token/);
  });

  it('refuses a token given to two identities, and an identity given twice, without printing the token', () => {
    const shared = 'shared-token-0123456789';
    const same = () => parseCodecServerTokens(`alice:${shared},bob:${shared}`);
    expect(same).toThrow('ROLLOUT_CODEC_SERVER_TOKENS: alice and bob have the same token; give each identity its own');
    expect(() => parseCodecServerTokens(`alice:${ALICE},alice:${BOB}`)).toThrow(/alice is listed twice/);
    try {
      same();
    } catch (err) {
      expect((err as Error).message).not.toContain(shared);
    }
  });

  it('warns loudly when --no-auth serves beyond loopback, and not on loopback', async () => {
    const run = async (host: string) => {
      let err = '';
      let out = '';
      const code = main(['codec-server', '--no-auth', '--host', host, '--port', '0'], {
        out: (t) => (out += t),
        err: (t) => (err += t),
        env: { ROLLOUT_CODEC_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}` },
      });
      while (!out.includes('codec server on')) await new Promise((r) => setTimeout(r, 20));
      process.emit('SIGINT');
      expect(await code).toBe(0);
      return err;
    };
    expect(await run('0.0.0.0')).toMatch(
      /^WARNING: --no-auth on 0\.0\.0\.0: anyone who can reach this port can decrypt/,
    );
    expect(await run('127.0.0.1')).not.toMatch(/WARNING/);
  });
});
