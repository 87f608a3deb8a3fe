import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InvalidInputError, LoginRequiredError, Secret, type TokenSetV1 } from '@tokens/core';
import { z } from 'zod';
import { ACCESS_TOKEN_LIFETIME_MS, REFRESH_TOKEN_LIFETIME_MS } from './schwab-api';
import { BROKER } from './schwab-errors';

/**
 * schwab-py's token file (`client_from_token_file`, `easy_client`): authlib's token wrapped in
 * `TokenMetadata`. `creation_timestamp` (epoch seconds of the browser login) never changes on
 * refresh; `token.expires_at` (epoch seconds) is when the access token dies.
 * Holds secrets in plain text: never log it.
 */
export interface SchwabPyTokenFile {
  creation_timestamp: number;
  token: {
    expires_in: number;
    token_type: string;
    scope: string;
    refresh_token: string;
    access_token: string;
    id_token?: string;
    expires_at: number;
  };
}

const CODE = 'SCHWAB_TOKEN_FILE_INVALID';
const SHAPE = '{"creation_timestamp": <epoch seconds>, "token": {"access_token": …, "refresh_token": …, "expires_at": <epoch seconds>, …}}';

const seconds = z.number().positive();
const fileSchema = z.object({
  creation_timestamp: seconds,
  token: z.object({
    access_token: z.string().min(1),
    refresh_token: z.string().min(1),
    expires_at: seconds,
    expires_in: seconds.optional(),
    token_type: z.string().optional(),
    scope: z.string().optional(),
    id_token: z.string().min(1).optional(),
  }),
});

function bad(message: string, field = 'tokenFile'): InvalidInputError {
  return new InvalidInputError({ code: CODE, field, message: `Not a usable schwab-py token file: ${message}` });
}

/** Epoch seconds are about 1.7e9 today; milliseconds would be about 1.7e12. */
const looksLikeMilliseconds = (value: number) => value > 1e11;

export interface ParseSchwabPyTokenOptions {
  /**
   * Epoch ms. When given, a file whose refresh token is past its 7 days is refused with a
   * `LoginRequiredError` instead of being imported to fail at the first refresh.
   */
  now?: number;
}

/**
 * Reads a schwab-py token file's content (text or parsed JSON) into a `TokenSetV1`:
 * `refreshExpiresAt` = `creation_timestamp` + 7 days. Errors name the offending field, never
 * its value.
 */
export function parseSchwabPyToken(content: string | unknown, options: ParseSchwabPyTokenOptions = {}): TokenSetV1 {
  let json: unknown = content;
  if (typeof content === 'string') {
    try {
      json = JSON.parse(content) as unknown;
    } catch {
      throw bad(`the content is not JSON. schwab-py writes ${SHAPE}.`);
    }
  }
  if (json == null || typeof json !== 'object' || Array.isArray(json)) throw bad(`expected a JSON object like ${SHAPE}.`);
  const raw = json as Record<string, unknown>;
  if (!('creation_timestamp' in raw)) {
    if ('access_token' in raw || 'refresh_token' in raw) {
      throw bad(
        'it has no "creation_timestamp": this is the legacy format from before schwab-py wrapped tokens in metadata, which schwab-py itself refuses ("The token format has changed…"). Its login time is unknown, so log in again to create a new token.',
        'creation_timestamp',
      );
    }
    if ('accessToken' in raw || 'tokenSet' in raw) throw bad('this looks like a tokens store record, not a schwab-py file.', 'creation_timestamp');
    throw bad(`"creation_timestamp" is missing. schwab-py writes ${SHAPE}.`, 'creation_timestamp');
  }
  const parsed = fileSchema.safeParse(json, { reportInput: false });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.map(String).join('.');
    throw bad(`"${field}" is ${issue.code === 'invalid_type' && issue.message.includes('undefined') ? 'missing' : 'invalid'} (${issue.message}).`, field);
  }
  const { creation_timestamp: createdSeconds, token } = parsed.data;
  if (looksLikeMilliseconds(createdSeconds)) throw bad('"creation_timestamp" looks like milliseconds; schwab-py writes epoch seconds.', 'creation_timestamp');
  if (looksLikeMilliseconds(token.expires_at)) throw bad('"token.expires_at" looks like milliseconds; schwab-py writes epoch seconds.', 'token.expires_at');

  const expiresAt = token.expires_at * 1000;
  const lifetime = token.expires_in !== undefined ? token.expires_in * 1000 : ACCESS_TOKEN_LIFETIME_MS;
  const refreshExpiresAt = createdSeconds * 1000 + REFRESH_TOKEN_LIFETIME_MS;
  if (options.now !== undefined && refreshExpiresAt <= options.now) {
    throw new LoginRequiredError({
      broker: BROKER,
      message: `The refresh token in this schwab-py file expired at ${new Date(refreshExpiresAt).toISOString()} (7 days after its login at ${new Date(createdSeconds * 1000).toISOString()}): log in again in the browser.`,
    });
  }
  const tokenSet: TokenSetV1 = {
    accessToken: new Secret(token.access_token),
    refreshToken: new Secret(token.refresh_token),
    expiresAt,
    issuedAt: expiresAt - lifetime,
    refreshExpiresAt,
    tokenType: token.token_type ?? 'Bearer',
  };
  if (token.scope !== undefined) tokenSet.extras = { scope: token.scope };
  if (token.id_token !== undefined) tokenSet.secretExtras = { idToken: new Secret(token.id_token) };
  return tokenSet;
}

/**
 * A token set in schwab-py's format, so a schwab-py bot can keep reading the file `tokens`
 * renews. Needs the refresh token and `refreshExpiresAt` (schwab-py's `token_age()` and
 * `easy_client`'s 6.5-day re-login are computed from `creation_timestamp`).
 */
export function formatSchwabPyToken(tokenSet: TokenSetV1): SchwabPyTokenFile {
  if (!tokenSet.refreshToken) {
    throw new InvalidInputError({ code: CODE, field: 'refreshToken', message: 'Cannot write a schwab-py token file without a refresh token.' });
  }
  if (tokenSet.refreshExpiresAt === undefined) {
    throw new InvalidInputError({
      code: CODE,
      field: 'refreshExpiresAt',
      message: 'Cannot write a schwab-py token file without refreshExpiresAt: its creation_timestamp (the login time) would be unknown.',
    });
  }
  const token: SchwabPyTokenFile['token'] = {
    expires_in: Math.round((tokenSet.expiresAt - tokenSet.issuedAt) / 1000),
    token_type: tokenSet.tokenType ?? 'Bearer',
    scope: tokenSet.extras?.scope ?? 'api',
    refresh_token: tokenSet.refreshToken.reveal(),
    access_token: tokenSet.accessToken.reveal(),
    ...(tokenSet.secretExtras?.idToken ? { id_token: tokenSet.secretExtras.idToken.reveal() } : {}),
    // Rounded down: a reader then sees the access token die, and the login age, a little early, never late.
    expires_at: Math.floor(tokenSet.expiresAt / 1000),
  };
  return { creation_timestamp: Math.floor((tokenSet.refreshExpiresAt - REFRESH_TOKEN_LIFETIME_MS) / 1000), token };
}

/** Reads and parses a schwab-py token file (for bootstrapping an account from it). */
export async function readSchwabPyTokenFile(path: string, options: ParseSchwabPyTokenOptions = {}): Promise<TokenSetV1> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new InvalidInputError({
      code: CODE,
      field: 'path',
      message: code === 'ENOENT' ? `No schwab-py token file at ${path}.` : `Cannot read the schwab-py token file at ${path} (${code ?? 'read error'}).`,
    });
  }
  return parseSchwabPyToken(text, options);
}

/**
 * Writes a schwab-py token file atomically (temporary file, fsync, rename) with mode 0600, so a
 * schwab-py process never reads half a file and nobody else can read the tokens.
 */
export async function writeSchwabPyTokenFile(path: string, tokenSet: TokenSetV1): Promise<void> {
  const text = JSON.stringify(formatSchwabPyToken(tokenSet));
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
