/**
 * The Temporal codec server protocol over plain HTTP, so the Web UI and the temporal CLI can show encrypted
 * payloads to people who may read them: POST /encode and /decode (also under /{namespace}/...), each taking and
 * answering `{"payloads": [...]}` in proto3 JSON (metadata values and data base64), CORS for the UI's origin.
 *
 * Access: callers send `Authorization: Bearer <token>`; a token maps to an identity (ROLLOUT_CODEC_SERVER_TOKENS,
 * `identity:token,...`) and, with --allow, the identity must be listed. 401 without a known token, 403 for a known
 * identity that is not allowed. Tokens are compared in constant time and never logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { commaList } from '../shared/lists';

export const CODEC_SERVER_TOKENS_VARIABLE = 'ROLLOUT_CODEC_SERVER_TOKENS';
/** Payload requests from the UI are small; this keeps a hostile caller from exhausting memory. */
export const MAX_CODEC_REQUEST_BYTES = 8 * 1024 * 1024;

export interface CodecServerOptions {
  codec: PayloadCodec;
  port?: number;
  host?: string;
  /** Origins allowed by CORS (the Web UI's, e.g. http://localhost:8233). */
  corsOrigins: string[];
  /** token -> identity. Empty with `noAuth` only. */
  tokens: Map<string, string>;
  /** Identities that may encode and decode; undefined: every identity with a token. */
  allow?: string[];
  /** Serve anyone who reaches the port (a local dev server without login). */
  noAuth?: boolean;
  /** Called for each answered request (identity, path, status): an access log without payloads or tokens. */
  onRequest?: (entry: { identity?: string; path: string; status: number }) => void;
}

export interface RunningCodecServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * Parses `identity:token,identity:token`. A token given twice is refused (it was kept silently for the last
 * identity, so one person's token logged in as another), and so is an identity given twice (which token is theirs?).
 */
export function parseCodecServerTokens(value: string | undefined): Map<string, string> {
  const tokens = new Map<string, string>();
  const identities = new Set<string>();
  for (const entry of commaList(value ?? '')) {
    const colon = entry.indexOf(':');
    if (colon <= 0 || colon === entry.length - 1)
      throw new Error(`${CODEC_SERVER_TOKENS_VARIABLE}: write identity:token pairs separated by commas`);
    const token = entry.slice(colon + 1);
    const identity = entry.slice(0, colon);
    if (token.length < 16)
      throw new Error(`${CODEC_SERVER_TOKENS_VARIABLE}: the token of ${identity} is shorter than 16 characters`);
    const holder = tokens.get(token);
    if (holder !== undefined)
      throw new Error(
        `${CODEC_SERVER_TOKENS_VARIABLE}: ${holder} and ${identity} have the same token; give each identity its own`,
      );
    if (identities.has(identity))
      throw new Error(`${CODEC_SERVER_TOKENS_VARIABLE}: ${identity} is listed twice; give each identity one token`);
    identities.add(identity);
    tokens.set(token, identity);
  }
  return tokens;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The identity a bearer token belongs to (constant-time comparison against every known token's digest). */
function identityOf(header: string | undefined, digests: [Buffer, string][]): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const presented = digest(match[1]);
  let found: string | undefined;
  for (const [tokenDigest, identity] of digests) if (timingSafeEqual(presented, tokenDigest)) found = identity;
  return found;
}

function toPayload(json: unknown, index: number): Payload {
  if (typeof json !== 'object' || json === null) throw new Error(`payloads[${index}] must be an object`);
  const { metadata, data } = json as { metadata?: unknown; data?: unknown };
  if (metadata !== undefined && (typeof metadata !== 'object' || metadata === null))
    throw new Error(`payloads[${index}].metadata must be an object of base64 strings`);
  const decoded: Record<string, Uint8Array> = {};
  for (const [key, value] of Object.entries((metadata ?? {}) as Record<string, unknown>)) {
    if (typeof value !== 'string') throw new Error(`payloads[${index}].metadata.${key} must be a base64 string`);
    decoded[key] = Buffer.from(value, 'base64');
  }
  if (data !== undefined && typeof data !== 'string')
    throw new Error(`payloads[${index}].data must be a base64 string`);
  return { metadata: decoded, data: Buffer.from(data ?? '', 'base64') };
}

function fromPayload(payload: Payload) {
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
    ),
    data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_CODEC_REQUEST_BYTES) throw new RangeError('request body over 8 MiB');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function startCodecServer(options: CodecServerOptions): Promise<RunningCodecServer> {
  if (!options.noAuth && options.tokens.size === 0)
    throw new Error(
      `no caller could be allowed: set ${CODEC_SERVER_TOKENS_VARIABLE}=identity:token,... (or --no-auth for a local dev server)`,
    );
  // Hashed once, not on every request.
  const tokenDigests: [Buffer, string][] = [...options.tokens].map(([token, identity]) => [digest(token), identity]);
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const origin = req.headers.origin;
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    let identity: string | undefined;
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
      options.onRequest?.({ identity, path, status });
    };
    if (origin && options.corsOrigins.includes(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
      res.writeHead(origin && options.corsOrigins.includes(origin) ? 204 : 403);
      res.end();
      return;
    }
    const action = /^(?:\/[^/]+)?\/(encode|decode)$/.exec(path)?.[1];
    if (!action) return send(404, { message: 'not found: POST /encode or /decode' });
    if (req.method !== 'POST') return send(405, { message: `${path} takes POST` });
    if (!options.noAuth) {
      identity = identityOf(req.headers.authorization, tokenDigests);
      if (!identity) return send(401, { message: 'send Authorization: Bearer <token> of an allowed identity' });
      if (options.allow && !options.allow.includes(identity))
        return send(403, { message: `${identity} may not ${action} payloads on this codec server` });
    }
    let payloads: Payload[];
    try {
      const body = JSON.parse(await readBody(req)) as { payloads?: unknown };
      if (!Array.isArray(body?.payloads)) throw new Error('the body must be {"payloads": [...]}');
      payloads = body.payloads.map(toPayload);
    } catch (err) {
      return send(400, { message: `bad request: ${(err as Error).message}` });
    }
    try {
      const result = action === 'encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
      return send(200, { payloads: result.map(fromPayload) });
    } catch (err) {
      return send(400, { message: (err as Error).message });
    }
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://${options.host ?? '127.0.0.1'}:${port}`,
        server,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
