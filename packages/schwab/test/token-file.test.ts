import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryTokenStore, createTokenManager, InvalidInputError, LoginRequiredError, serializeTokenSet, TokensError } from '@tokens/core';
import { canaryCheck } from '@tokens/test-suite';
import { afterAll, describe, expect, it } from 'vitest';
import { formatSchwabPyToken, parseSchwabPyToken, readSchwabPyTokenFile, writeSchwabPyTokenFile } from '../src';
import { rejected, startRig, toTokenSet } from './support/harness';

const DAY = 24 * 3_600_000;
const fixturePath = join(__dirname, 'fixtures', 'schwab-py-token.json');
const fixtureText = readFileSync(fixturePath, 'utf8');
const fixture = JSON.parse(fixtureText) as { creation_timestamp: number; token: Record<string, string | number> };
const work = mkdtempSync(join(tmpdir(), 'schwab-token-file-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function rejection(content: unknown): TokensError {
  try {
    parseSchwabPyToken(content as string);
  } catch (error) {
    expect(TokensError.isInstance(error)).toBe(true);
    // The message names fields, never the token values around them.
    expect(canaryCheck([String(fixture.token.access_token), String(fixture.token.refresh_token)], error)).toEqual([]);
    return error as TokensError;
  }
  throw new Error('the content was accepted');
}

describe('schwab-py token file', () => {
  it('reads a file as schwab-py writes it', async () => {
    const tokenSet = await readSchwabPyTokenFile(fixturePath);
    expect(serializeTokenSet(tokenSet)).toEqual({
      accessToken: fixture.token.access_token,
      refreshToken: fixture.token.refresh_token,
      expiresAt: 1736606763_000,
      issuedAt: 1736606763_000 - 1800_000,
      refreshExpiresAt: 1736604963_000 + 7 * DAY, // creation_timestamp (the login) + 7 days
      tokenType: 'Bearer',
      extras: { scope: 'api' },
      secretExtras: { idToken: fixture.token.id_token },
    });
    expect(JSON.stringify(tokenSet)).not.toContain(String(fixture.token.refresh_token));
  });

  it('round-trips: file → token set → file is identical, and token set → file → token set too', async () => {
    expect(formatSchwabPyToken(parseSchwabPyToken(fixtureText))).toEqual(fixture);
    // Key order matters to humans diffing files: schwab-py's order.
    expect(Object.keys(formatSchwabPyToken(parseSchwabPyToken(fixture)).token)).toEqual(Object.keys(fixture.token));

    const rig = await startRig();
    try {
      const login = await rig.adapter.login.doExchange({
        accountId: 'a',
        callbackParams: Object.fromEntries(new URL(await rig.fake.browserLogin(rig.adapter.login.authorizeUrl({ state: 's' }))).searchParams),
        signal: new AbortController().signal,
        now: rig.clock.now(),
      });
      const path = join(work, 'nested', 'schwab_tokens.json');
      await writeSchwabPyTokenFile(path, login);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(statSync(join(work, 'nested')).mode & 0o777).toBe(0o700);
      const written = JSON.parse(readFileSync(path, 'utf8')) as typeof fixture;
      expect(written.creation_timestamp).toBe(rig.clock.now() / 1000);
      expect(written.token.expires_at).toBe(rig.clock.now() / 1000 + 1800);
      expect(written.token.expires_in).toBe(1800);
      expect(serializeTokenSet(await readSchwabPyTokenFile(path))).toEqual(serializeTokenSet(login));
    } finally {
      await rig.close();
    }
  });

  it('bootstraps an account from a schwab-py file and keeps the file fed on every renewal', async () => {
    const rig = await startRig();
    const store = createMemoryTokenStore({ clock: rig.clock });
    const manager = createTokenManager({ store, clock: rig.clock });
    try {
      // A schwab-py bot logged in 3 days ago and left its file behind.
      const session = rig.fake.issueSession({ grantedAt: rig.clock.now() - 3 * DAY });
      const path = join(work, 'bot', 'schwab_tokens.json');
      await writeSchwabPyTokenFile(path, toTokenSet(session));

      const imported = await readSchwabPyTokenFile(path, { now: rig.clock.now() });
      await store.put('schwab-main', { broker: 'schwab', tokenSet: imported }, { expectedVersion: 0 });
      // Writes in order, so an older token never lands after a newer one.
      let writing = Promise.resolve();
      manager.on('change', () => {
        writing = writing.then(() => manager.getTokenSet('schwab-main')).then((t) => writeSchwabPyTokenFile(path, t));
      });
      const status = await manager.addAccount({ id: 'schwab-main', adapter: rig.adapter });
      expect(status.state).toBe('valid');
      expect(status.refreshExpiresAt).toBe(session.refreshExpiresAt);

      await manager.refresh('schwab-main', { force: true });
      await writing;
      const file = JSON.parse(readFileSync(path, 'utf8')) as typeof fixture;
      expect(file.token.access_token).toBe(await manager.getAccessToken('schwab-main'));
      expect(file.token.access_token).not.toBe(session.accessToken);
      expect(file.creation_timestamp).toBe(session.grantedAt / 1000); // a refresh never changes it
    } finally {
      await manager.stop();
      await rig.close();
    }
  });

  it('refuses a file whose refresh token is past its 7 days, when told the time', () => {
    const error = (() => {
      try {
        return parseSchwabPyToken(fixtureText, { now: (fixture.creation_timestamp + 7 * 86_400) * 1000 });
      } catch (e) {
        return e;
      }
    })();
    expect(LoginRequiredError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe(
      'The refresh token in this schwab-py file expired at 2025-01-18T14:16:03.000Z (7 days after its login at 2025-01-11T14:16:03.000Z): log in again in the browser.',
    );
  });

  it.each([
    ['not JSON', '{"creation_timestamp": 17366', 'tokenFile', /not JSON/],
    ['a JSON array', '[]', 'tokenFile', /expected a JSON object/],
    ['the legacy unwrapped format', JSON.stringify(fixture.token), 'creation_timestamp', /legacy format .* log in again/],
    ['a tokens store record', JSON.stringify({ accessToken: 'x', expiresAt: 1 }), 'creation_timestamp', /tokens store record/],
    ['no refresh token', JSON.stringify({ ...fixture, token: { ...fixture.token, refresh_token: undefined } }), 'token.refresh_token', /"token.refresh_token" is missing/],
    ['an empty access token', JSON.stringify({ ...fixture, token: { ...fixture.token, access_token: '' } }), 'token.access_token', /"token.access_token" is invalid/],
    ['no expires_at', JSON.stringify({ ...fixture, token: { ...fixture.token, expires_at: undefined } }), 'token.expires_at', /missing/],
    ['a string timestamp', JSON.stringify({ ...fixture, creation_timestamp: '1736604963' }), 'creation_timestamp', /invalid/],
    ['millisecond timestamps', JSON.stringify({ ...fixture, creation_timestamp: 1736604963000 }), 'creation_timestamp', /milliseconds/],
  ])('rejects %s with a clear error naming the field', (_name, content, field, message) => {
    const error = rejection(content);
    expect(InvalidInputError.isInstance(error)).toBe(true);
    expect(error.code).toBe('SCHWAB_TOKEN_FILE_INVALID');
    expect((error as InvalidInputError).field).toBe(field);
    expect(error.message).toMatch(/^Not a usable schwab-py token file: /);
    expect(error.message).toMatch(message);
  });

  it('says so when the file is missing, and refuses to write a file without the login time', async () => {
    const missing = await rejected(readSchwabPyTokenFile(join(work, 'nope.json')));
    expect(missing.message).toBe(`No schwab-py token file at ${join(work, 'nope.json')}.`);
    const { refreshExpiresAt: _, ...withoutLogin } = parseSchwabPyToken(fixture);
    expect(() => formatSchwabPyToken(withoutLogin)).toThrow(/creation_timestamp \(the login time\) would be unknown/);
    writeFileSync(join(work, 'garbage.json'), 'not json at all');
    await expect(readSchwabPyTokenFile(join(work, 'garbage.json'))).rejects.toThrow(/not JSON/);
  });
});
