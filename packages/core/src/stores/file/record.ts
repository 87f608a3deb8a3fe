import type { StoredTokenV1 } from '../../contracts/token-set';
import { storedToPlain, type SerializedStoredToken } from '../../token-set';
import type { StoreCorruptionError } from '../../errors';
import type { EncryptedEnvelopeV1, EncryptionKey } from '../encryption';
import { openTokenSet, sealTokenSet } from '../token-payload';

/** The on-disk shape: clear metadata plus either `tokenSet` or an `encrypted` envelope with a key id. */
export type FileRecordV1 = Omit<SerializedStoredToken, 'encrypted'> & { encrypted?: EncryptedEnvelopeV1 };

export const RECORD_FORMAT = 'tokens.stored/v1';

export type DecodeResult =
  | { kind: 'ok'; record: StoredTokenV1 }
  /** Unreadable or wrong shape: quarantine it. `reason` never contains file content. */
  | { kind: 'corrupt'; reason: string }
  /** Readable with the right configuration only (wrong key, encrypted vs plain): leave it alone. */
  | { kind: 'key'; error: StoreCorruptionError };

/** The clear metadata every valid record has; enough for CAS checks and change detection. */
export interface RecordMeta {
  version: number;
  updatedAt: number;
  fencingToken?: number;
}

const isPositiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Checks the clear part of a record. Returns a reason (without file content) when it is wrong. */
function checkShape(accountId: string, json: unknown): string | FileRecordV1 {
  if (json == null || typeof json !== 'object' || Array.isArray(json)) return 'it is not a JSON object';
  const r = json as Record<string, unknown>;
  if (r.format !== RECORD_FORMAT) return `its format is not "${RECORD_FORMAT}"`;
  if (r.accountId !== accountId) return 'it names a different account';
  if (typeof r.broker !== 'string' || r.broker.length === 0) return 'it has no broker';
  if (!isPositiveInt(r.version)) return 'its version is not a positive integer';
  if (!isTime(r.updatedAt)) return 'its updatedAt is not a number';
  if (r.fencingToken !== undefined && !(typeof r.fencingToken === 'number' && Number.isSafeInteger(r.fencingToken))) {
    return 'its fencingToken is not an integer';
  }
  if ((r.tokenSet === undefined) === (r.encrypted === undefined)) return 'it must hold exactly one of tokenSet and encrypted';
  return r as unknown as FileRecordV1;
}

/** Reads only the clear metadata, without decrypting; undefined when the file is not a valid record. */
export function decodeMeta(accountId: string, text: string): RecordMeta | undefined {
  const shape = checkShape(accountId, parseJson(text));
  if (typeof shape === 'string') return undefined;
  return { version: shape.version, updatedAt: shape.updatedAt, fencingToken: shape.fencingToken };
}

/** Decodes a record file's text into a StoredTokenV1. Never throws for bad content. */
export function decodeRecord(accountId: string, text: string, key: EncryptionKey | undefined, path: string): DecodeResult {
  const json = parseJson(text);
  if (json === undefined) return { kind: 'corrupt', reason: 'it is not valid JSON' };
  const shape = checkShape(accountId, json);
  if (typeof shape === 'string') return { kind: 'corrupt', reason: shape };

  const opened = openTokenSet({ accountId, key, encrypted: shape.encrypted, plain: shape.tokenSet, where: path, thing: 'file' });
  if (opened.kind !== 'ok') return opened;
  const record: StoredTokenV1 = { accountId, broker: shape.broker, version: shape.version, tokenSet: opened.tokenSet, updatedAt: shape.updatedAt };
  if (shape.fencingToken !== undefined) record.fencingToken = shape.fencingToken;
  return { kind: 'ok', record };
}

/** Serialises a record for disk, encrypting the token set when a key is given. */
export function encodeRecord(record: StoredTokenV1, key: EncryptionKey | undefined): string {
  const out: FileRecordV1 = { ...storedToPlain(record), ...sealTokenSet(record.accountId, record.tokenSet, key) };
  return `${JSON.stringify(out, null, 2)}\n`;
}
