/**
 * An AES-256-GCM payload codec. Every payload (its metadata and data) is encrypted whole, so history holds neither
 * the values nor their encodings; the key id travels in the clear in the metadata, so a payload written before a
 * key rotation is decrypted with the key it was written with. The key id is also authenticated (GCM additional
 * data): a payload relabelled with another key id does not decrypt.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import type { CodecKey } from './keys';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

/** A payload as bytes (metadata values and data base64), so the whole of it is encrypted. */
function serialize(payload: Payload): Buffer {
  const metadata = Object.fromEntries(
    Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
  );
  return Buffer.from(
    JSON.stringify({ m: metadata, d: Buffer.from(payload.data ?? new Uint8Array()).toString('base64') }),
  );
}

function deserialize(bytes: Buffer): Payload {
  const parsed = JSON.parse(bytes.toString('utf8')) as { m: Record<string, string>; d: string };
  return {
    metadata: Object.fromEntries(Object.entries(parsed.m).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
    data: Buffer.from(parsed.d, 'base64'),
  };
}

export class AesGcmCodec implements PayloadCodec {
  private readonly decryptKeys: Map<string, Buffer>;
  private readonly encryptKey: CodecKey;

  /** `keys[0]` encrypts; all of them decrypt. */
  constructor(keys: CodecKey[]) {
    if (keys.length === 0) throw new Error('AesGcmCodec needs at least one key');
    this.encryptKey = keys[0];
    this.decryptKeys = new Map(keys.map((k) => [k.id, k.key]));
  }

  get keyId(): string {
    return this.encryptKey.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.encryptKey.key, iv);
      cipher.setAAD(utf8(this.encryptKey.id));
      const sealed = Buffer.concat([cipher.update(serialize(payload)), cipher.final()]);
      return {
        metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(this.encryptKey.id) },
        data: Buffer.concat([iv, sealed, cipher.getAuthTag()]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      // Payloads written without encryption (before it was turned on) pass through.
      if (text(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return payload;
      const keyId = text(payload.metadata?.[KEY_ID_METADATA]);
      const key = keyId === undefined ? undefined : this.decryptKeys.get(keyId);
      if (!key)
        throw new ValueError(
          `cannot decrypt a payload encrypted with key "${keyId ?? '(none)'}": ROLLOUT_CODEC_KEYS lists ${[...this.decryptKeys.keys()].join(', ')}; add that key back`,
        );
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw new ValueError(`encrypted payload (key ${keyId}) is truncated`);
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAAD(utf8(keyId!));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new ValueError(
          `encrypted payload (key ${keyId}) failed authentication: it was altered, or encrypted with another key of that id`,
        );
      }
      return deserialize(plain);
    });
  }
}
