import { openTokenSet, sealTokenSet, type EncryptionKey, type StoreCorruptionError, type StoredTokenV1 } from '@tokens/core';

/*
 * A record is a Redis hash whose fields are the file store's record (`SerializedStoredToken`)
 * flattened one level: clear metadata as decimal strings, and either `tokenSet` (JSON) or
 * `encrypted` (JSON of the same AES-256-GCM envelope the file store writes, account id as AAD).
 * Metadata stays readable with `HGETALL` and usable by Lua without decrypting or parsing JSON.
 */

export const RECORD_FORMAT = 'tokens.stored/v1';

export type DecodeResult =
  | { kind: 'ok'; record: StoredTokenV1 }
  /** Unreadable or wrong shape: quarantine it. `reason` never contains stored values. */
  | { kind: 'corrupt'; reason: string }
  /** Readable with the right configuration only (wrong key, encrypted vs plain): leave it alone. */
  | { kind: 'key'; error: StoreCorruptionError };

const POSITIVE_INT = /^[1-9][0-9]*$/;
const INT = /^-?[0-9]+$/;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function checkShape(accountId: string, f: Record<string, string>): string | undefined {
  if (f.format !== RECORD_FORMAT) return `its format is not "${RECORD_FORMAT}"`;
  if (f.accountId !== accountId) return 'it names a different account';
  if (!f.broker) return 'it has no broker';
  if (!f.version || !POSITIVE_INT.test(f.version) || !Number.isSafeInteger(Number(f.version))) return 'its version is not a positive integer';
  if (!f.updatedAt || !/^[0-9]+$/.test(f.updatedAt)) return 'its updatedAt is not a number';
  if (f.fencingToken !== undefined && !(INT.test(f.fencingToken) && Number.isSafeInteger(Number(f.fencingToken)))) return 'its fencingToken is not an integer';
  if ((f.tokenSet === undefined) === (f.encrypted === undefined)) return 'it must hold exactly one of tokenSet and encrypted';
  return undefined;
}

/** Decodes a record hash. Never throws for bad content. `where` names the key in messages. */
export function decodeRecord(accountId: string, fields: Record<string, string>, key: EncryptionKey | undefined, where: string): DecodeResult {
  const bad = checkShape(accountId, fields);
  if (bad) return { kind: 'corrupt', reason: bad };

  const encrypted = fields.encrypted !== undefined ? parseJson(fields.encrypted) : undefined;
  if (fields.encrypted !== undefined && encrypted === undefined) return { kind: 'corrupt', reason: 'its encrypted envelope is not valid JSON' };
  const plain = fields.tokenSet !== undefined ? parseJson(fields.tokenSet) : undefined;
  if (fields.tokenSet !== undefined && plain === undefined) return { kind: 'corrupt', reason: 'its tokenSet is not valid JSON' };
  const opened = openTokenSet({ accountId, key, encrypted, plain, where, thing: 'record' });
  if (opened.kind !== 'ok') return opened;
  const record: StoredTokenV1 = { accountId, broker: fields.broker!, version: Number(fields.version), tokenSet: opened.tokenSet, updatedAt: Number(fields.updatedAt) };
  if (fields.fencingToken !== undefined) record.fencingToken = Number(fields.fencingToken);
  return { kind: 'ok', record };
}

/**
 * The field/value pairs of a record, ready for HSET. `fencingToken` is left out: the put
 * script decides it (the caller's token, or the highest one already accepted).
 */
export function encodeRecord(record: Omit<StoredTokenV1, 'fencingToken'>, key: EncryptionKey | undefined): string[] {
  const sealed = sealTokenSet(record.accountId, record.tokenSet, key);
  return [
    'format',
    RECORD_FORMAT,
    'accountId',
    record.accountId,
    'broker',
    record.broker,
    'version',
    String(record.version),
    'updatedAt',
    String(Math.trunc(record.updatedAt)),
    ...('encrypted' in sealed ? ['encrypted', JSON.stringify(sealed.encrypted)] : ['tokenSet', JSON.stringify(sealed.tokenSet)]),
  ];
}
