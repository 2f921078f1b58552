/**
 * Payload encryption keys, from the environment: ROLLOUT_CODEC_KEYS="k2:<base64 of 32 bytes>,k1:<...>". The first
 * key encrypts; every key decrypts, so payloads written before a rotation stay readable while the old key is listed.
 */
import { commaList } from '../shared/lists';

export const CODEC_KEYS_VARIABLE = 'ROLLOUT_CODEC_KEYS';

export interface CodecKey {
  id: string;
  key: Buffer;
}

/** A codec configuration that cannot be used; the message names the variable, the key and the fix. */
export class CodecKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecKeyError';
  }
}

const KEY_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const GENERATE_HINT = 'generate one with: openssl rand -base64 32';

/** Parses `id:base64,id:base64`; throws CodecKeyError naming the first problem. */
export function parseCodecKeys(value: string, variable = CODEC_KEYS_VARIABLE): CodecKey[] {
  const entries = commaList(value);
  if (entries.length === 0) throw new CodecKeyError(`${variable} is empty; write id:key pairs, e.g. k1:<base64>`);
  const seen = new Set<string>();
  return entries.map((entry, index) => {
    const colon = entry.indexOf(':');
    const where = `${variable}, key ${index + 1}`;
    if (colon <= 0) throw new CodecKeyError(`${where}: write it as <id>:<base64 key>, e.g. k1:<base64>`);
    const id = entry.slice(0, colon);
    const encoded = entry.slice(colon + 1);
    if (!KEY_ID.test(id)) throw new CodecKeyError(`${where}: the id "${id}" may use letters, digits, ".", "_", "-"`);
    if (seen.has(id)) throw new CodecKeyError(`${where}: the id "${id}" is listed twice`);
    seen.add(id);
    if (!BASE64.test(encoded)) throw new CodecKeyError(`${where} (${id}): the key is not base64; ${GENERATE_HINT}`);
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== 32)
      throw new CodecKeyError(
        `${where} (${id}): AES-256 needs a 32-byte key, this one is ${key.length} bytes; ${GENERATE_HINT}`,
      );
    return { id, key };
  });
}

/** The keys configured in `env`, or undefined when payload encryption is off. */
export function codecKeysFromEnv(env: NodeJS.ProcessEnv = process.env): CodecKey[] | undefined {
  const value = env[CODEC_KEYS_VARIABLE];
  if (value === undefined || value.trim() === '') return undefined;
  return parseCodecKeys(value);
}
