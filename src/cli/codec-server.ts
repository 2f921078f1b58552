/**
 * `rollout codec-server`: serves the Temporal codec server protocol with the rollout's payload keys, so the Web UI
 * (`temporal server start-dev --ui-codec-endpoint http://localhost:8888`) and `temporal --codec-endpoint` show
 * decrypted payloads to the identities allowed.
 */
import { AesGcmCodec, CodecKeyError, codecKeysFromEnv, CODEC_KEYS_VARIABLE } from '../codec';
import { CODEC_SERVER_TOKENS_VARIABLE, parseCodecServerTokens, startCodecServer } from '../codec/server';
import { parseCommandArgs, UsageError, EXIT_OK, type Command } from './command';
import { commaList } from '../shared/lists';
import { isLoopbackHost } from '../plan/workspace-url';

const HELP = `Usage: rollout codec-server [--port 8888] [--cors-origin https://ui.example.com,...] [--allow alice,bob] [--no-auth]

Decrypts (and encrypts) rollout payloads for the Temporal Web UI and CLI: POST /decode and /encode, also under
/{namespace}/. Keys come from ${CODEC_KEYS_VARIABLE} (id:base64,...; the first encrypts, all decrypt), the same
value the worker and the rollout command use.

Callers send Authorization: Bearer <token>. ${CODEC_SERVER_TOKENS_VARIABLE}=identity:token,... names who holds
which token; --allow limits decoding to some of those identities (401 for an unknown token, 403 for an identity
not allowed). In the Web UI's codec server settings, turn on "Pass the user access token" or use a proxy that adds
the header.

Options:
  --port <P>            port to listen on (default 8888)
  --host <H>            address to listen on (default 127.0.0.1)
  --cors-origin <list>  origins the Web UI is served from (default http://localhost:8233)
  --allow <list>        identities that may decode (default: every identity with a token)
  --no-auth             serve anyone who reaches the port (a local dev server only; a loud warning
                        unless --host is loopback)
  -h, --help            show this help

Example:
  ${CODEC_KEYS_VARIABLE}="k1:$(openssl rand -base64 32)" rollout codec-server --no-auth &
  temporal server start-dev --ui-codec-endpoint http://localhost:8888
`;

const list = (value: unknown) => (typeof value === 'string' ? commaList(value) : undefined);

export const codecServerCommand: Command = {
  name: 'codec-server',
  summary: 'decrypt payloads for the Temporal Web UI and CLI (allowed callers only)',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('codec-server', args, {
      port: { type: 'string', example: '8888' },
      host: { type: 'string', example: '127.0.0.1' },
      'cors-origin': { type: 'string', example: 'http://localhost:8233' },
      allow: { type: 'string', example: 'alice,bob' },
      'no-auth': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.out(HELP);
      return EXIT_OK;
    }
    if (positionals.length) throw new UsageError(`rollout codec-server: unexpected argument ${positionals[0]}`);
    const port = Number(values.port ?? 8888);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`rollout codec-server: --port must be a port number (0-65535), got ${String(values.port)}`);
    const env = io.env ?? process.env;
    let keys;
    try {
      keys = codecKeysFromEnv(env);
    } catch (err) {
      if (err instanceof CodecKeyError) throw new UsageError(`rollout codec-server: ${err.message}`);
      throw err;
    }
    if (!keys)
      throw new UsageError(
        `rollout codec-server: set ${CODEC_KEYS_VARIABLE}=<id>:<base64 32-byte key>,... (the worker's keys)`,
      );
    let tokens: Map<string, string>;
    try {
      tokens = parseCodecServerTokens(env[CODEC_SERVER_TOKENS_VARIABLE]);
    } catch (err) {
      throw new UsageError(`rollout codec-server: ${(err as Error).message}`);
    }
    const noAuth = values['no-auth'] === true;
    if (!noAuth && tokens.size === 0)
      throw new UsageError(
        `rollout codec-server: set ${CODEC_SERVER_TOKENS_VARIABLE}=identity:token,... so callers can be checked, or pass --no-auth for a local dev server`,
      );
    const allow = list(values.allow);
    if (allow && noAuth)
      throw new UsageError('rollout codec-server: --allow needs callers to authenticate; drop --no-auth');
    const corsOrigins = list(values['cors-origin']) ?? ['http://localhost:8233'];
    for (const origin of corsOrigins)
      if (!/^https?:\/\/[^/]+$/.test(origin))
        throw new UsageError(
          `rollout codec-server: --cors-origin "${origin}" is not an origin; write scheme://host[:port], e.g. http://localhost:8233`,
        );
    const host = typeof values.host === 'string' ? values.host : '127.0.0.1';
    if (noAuth && !isLoopbackHost(host))
      io.err(
        `WARNING: --no-auth on ${host}: anyone who can reach this port can decrypt every rollout payload (plans, approvals, reports). Use --no-auth only on 127.0.0.1, or set ${CODEC_SERVER_TOKENS_VARIABLE}.\n`,
      );
    const running = await startCodecServer({
      codec: new AesGcmCodec(keys),
      port,
      host,
      corsOrigins,
      tokens,
      allow,
      noAuth,
      onRequest: ({ identity, path, status }) => io.err(`${status} ${path}${identity ? ` (${identity})` : ''}\n`),
    });
    io.out(
      `codec server on ${running.url} (encrypting with key ${keys[0].id}; ${noAuth ? 'no authentication' : `${allow ? allow.join(', ') : 'every identity with a token'} may decode`}); CORS: ${corsOrigins.join(', ')}\n`,
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await running.close();
    return EXIT_OK;
  },
};
