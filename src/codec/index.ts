/** Optional payload encryption: the codec, its keys, and the data converter workers and clients share. */
import type { DataConverter } from '@temporalio/common';
import { AesGcmCodec } from './aes-gcm';
import { codecKeysFromEnv } from './keys';

export { AesGcmCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA } from './aes-gcm';
export { CODEC_KEYS_VARIABLE, CodecKeyError, codecKeysFromEnv, parseCodecKeys, type CodecKey } from './keys';

/** The data converter for `env`: encrypting when ROLLOUT_CODEC_KEYS is set, the default otherwise. */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): DataConverter | undefined {
  const keys = codecKeysFromEnv(env);
  return keys ? { payloadCodecs: [new AesGcmCodec(keys)] } : undefined;
}
