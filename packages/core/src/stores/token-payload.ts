import type { TokenSetV1 } from '../contracts/token-set';
import { StoreCorruptionError, TokensError } from '../errors';
import { deserializeTokenSet, serializeTokenSet, type SerializedTokenSet } from '../token-set';
import { decryptTokenSet, encryptTokenSet, type EncryptedEnvelopeV1, type EncryptionKey } from './encryption';

/** The token-set part of a stored record: plain JSON, or the AES-256-GCM envelope. */
export type SealedTokenSet = { tokenSet: SerializedTokenSet } | { encrypted: EncryptedEnvelopeV1 };

export type OpenedTokenSet =
  | { kind: 'ok'; tokenSet: TokenSetV1 }
  /** Wrong key, or encrypted/plain mismatch: the data is fine, the configuration is not. */
  | { kind: 'key'; error: StoreCorruptionError }
  | { kind: 'corrupt'; reason: string };

/** Seals a token set for storage, encrypted when a key is given (account id as AAD). */
export function sealTokenSet(accountId: string, tokenSet: TokenSetV1, key: EncryptionKey | undefined): SealedTokenSet {
  const serialized = serializeTokenSet(tokenSet);
  return key ? { encrypted: encryptTokenSet(key, accountId, serialized) } : { tokenSet: serialized };
}

/**
 * Opens a stored token set with the rules every store shares: a key is required exactly when
 * the record is encrypted, a wrong key is a configuration error that touches nothing, anything
 * unreadable is corruption. Never throws for bad content; messages never quote it.
 * `where` names the file or key; `thing` is what a human would delete ("file", "record").
 */
export function openTokenSet(o: {
  accountId: string;
  key: EncryptionKey | undefined;
  /** Exactly one of `encrypted` (the parsed envelope) and `plain` (the parsed token set) is given. */
  encrypted?: unknown;
  plain?: unknown;
  where: string;
  thing: string;
}): OpenedTokenSet {
  let serialized: unknown = o.plain;
  if (o.encrypted !== undefined) {
    if (!o.key) {
      return {
        kind: 'key',
        error: new StoreCorruptionError({
          accountId: o.accountId,
          code: 'STORE_KEY',
          message: `Account "${o.accountId}" is encrypted at rest (${o.where}), but this store has no encryption key configured. Configure the key that wrote it; nothing was changed.`,
        }),
      };
    }
    try {
      serialized = decryptTokenSet(o.key, o.accountId, o.encrypted as EncryptedEnvelopeV1);
    } catch (error) {
      if (StoreCorruptionError.isInstance(error) && error.code === 'STORE_KEY') return { kind: 'key', error };
      return { kind: 'corrupt', reason: TokensError.isInstance(error) ? error.message : 'it could not be decrypted' };
    }
  } else if (o.key) {
    return {
      kind: 'key',
      error: new StoreCorruptionError({
        accountId: o.accountId,
        code: 'STORE_KEY',
        message: `Account "${o.accountId}" is stored in plain text (${o.where}), but this store is configured with an encryption key. Refusing to mix: remove the key, or delete the ${o.thing} and log in again to store it encrypted. Nothing was changed.`,
      }),
    };
  }
  try {
    return { kind: 'ok', tokenSet: deserializeTokenSet(serialized) };
  } catch (error) {
    // deserializeTokenSet's messages name fields, never values.
    return { kind: 'corrupt', reason: TokensError.isInstance(error) ? error.message : 'its token set is malformed' };
  }
}
