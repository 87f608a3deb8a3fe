import { afterEach, describe, expect, it } from 'vitest';
import { generateTotp } from '@tokens/broker-utils';
import { InvalidCredentialsError, TokensError } from '@tokens/core';
import { base32Decode, FAKE_DHAN_CLIENT, hotp, totpAt, verifyTotp } from '../src/fake';
import { DAY, rejection, setup, START, type Setup } from './helpers';

let s: Setup | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

describe('TOTP (RFC 6238)', () => {
  // RFC 6238 Appendix B, SHA-1, 8 digits, key "12345678901234567890".
  const key = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
  const vectors: Array<[number, string]> = [
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ];

  it.each(vectors)('T = %i s gives %s with the adapter (generateTotp) and with the fake (own implementation)', (seconds, code) => {
    expect(generateTotp({ secret: key, now: seconds * 1000, digits: 8 }).reveal()).toBe(code);
    expect(totpAt(base32Decode(key), seconds * 1000, { digits: 8 })).toBe(code);
  });

  it('RFC 4226 Appendix D HOTP values match the fake', () => {
    const k = Buffer.from('12345678901234567890');
    expect([0, 1, 2, 3, 9].map((c) => hotp(k, c))).toEqual(['755224', '287082', '359152', '969429', '520489']);
  });

  it('the fake accepts the previous, current and next 30 s step and nothing further', () => {
    const k = base32Decode(FAKE_DHAN_CLIENT.totpSecret);
    const at = (offsetMs: number) => generateTotp({ secret: FAKE_DHAN_CLIENT.totpSecret, now: START + offsetMs }).reveal();
    expect([-30_000, 0, 30_000].map((o) => verifyTotp(k, at(o), START))).toEqual([true, true, true]);
    expect([-60_000, 60_000].map((o) => verifyTotp(k, at(o), START))).toEqual([false, false]);
    expect(verifyTotp(k, '12345', START)).toBe(false);
  });
});

describe('mode totp: POST {auth}/app/generateAccessToken', () => {
  it('sends the client id, PIN and the current TOTP in the query only (no body) and returns a 24 h token set', async () => {
    s = await setup('totp');
    const tokenSet = await s.refresh();

    expect(s.fake.calls).toHaveLength(1);
    const call = s.fake.calls[0]!;
    expect(call.method).toBe('POST');
    expect(call.path).toBe('/auth/app/generateAccessToken');
    expect(call.query).toEqual({
      dhanClientId: FAKE_DHAN_CLIENT.clientId,
      pin: FAKE_DHAN_CLIENT.pin,
      totp: generateTotp({ secret: FAKE_DHAN_CLIENT.totpSecret, now: START }).reveal(),
    });
    expect(call.rawBody).toBe('');
    expect(call.headers['content-type']).toBeUndefined();
    expect(call.headers['access-token']).toBeUndefined();
    expect(call.headers.accept).toBe('application/json');

    const active = s.fake.activeToken()!;
    expect(tokenSet.accessToken.reveal()).toBe(active.accessToken);
    expect(tokenSet).toMatchObject({ issuedAt: START, expiresAt: START + DAY, extras: { dhanClientId: '1000000401', source: 'totp' } });
    expect(tokenSet.refreshToken).toBeUndefined();
  });

  it('a new token replaces the previous one: Dhan keeps one active token per client', async () => {
    s = await setup('totp');
    const first = await s.refresh();
    await s.clock.advance(60_000);
    const second = await s.refresh();
    expect(second.accessToken.reveal()).not.toBe(first.accessToken.reveal());
    expect(s.fake.isTokenValid(first.accessToken.reveal())).toBe(false);
    expect(s.fake.isTokenValid(second.accessToken.reveal())).toBe(true);
    expect(second.expiresAt).toBe(START + 60_000 + DAY);
  });

  it('a TOTP from one step back still works (clock drift); two steps back is refused', async () => {
    s = await setup('totp');
    const now = s.now();
    const ok = await s.adapter.doRefresh({ accountId: 'a', now: now - 30_000, signal: AbortSignal.timeout(5000) });
    expect(ok.expiresAt).toBe(START + DAY); // the broker's clock decides the expiry
    const error = await rejection(s.adapter.doRefresh({ accountId: 'a', now: now - 61_000, signal: AbortSignal.timeout(5000) }));
    expect(InvalidCredentialsError.isInstance(error)).toBe(true);
  });

  it('a wrong PIN is InvalidCredentialsError: needs a human, never retried, and names neither PIN nor TOTP', async () => {
    s = await setup('totp', { pin: '135790' });
    const error = await rejection(s.refresh());
    expect(InvalidCredentialsError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'INVALID_CREDENTIALS', isRetryable: false, needsHuman: true, broker: 'dhan' });
    expect(error.message).toBe(
      'Dhan refused the PIN + TOTP login for client ******0401: DH-901 "Invalid PIN or TOTP.". Check `pin` and `totpSecret`, that TOTP is enabled on web.dhan.co, and that this host\'s clock is right.',
    );
    const cause = error.cause as Record<string, unknown>;
    expect(cause).toMatchObject({ statusCode: 401, brokerCode: 'DH-901', isAuthError: true });
    const totp = s.fake.calls[0]!.query.totp!;
    for (const text of [error.message, String(error.stack), JSON.stringify(error), String(cause.message), String(cause.responseBody)]) {
      expect(text).not.toContain('135790');
      expect(text).not.toContain(totp);
      expect(text).not.toContain('1000000401');
      expect(text).not.toContain('?');
    }
  });

  it('a wrong TOTP secret is refused the same way', async () => {
    s = await setup('totp', { totpSecret: 'MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U' });
    const error = await rejection(s.refresh());
    expect(error).toMatchObject({ code: 'INVALID_CREDENTIALS', needsHuman: true, isRetryable: false });
  });

  it('a client without TOTP enabled on Dhan is refused (InvalidCredentialsError)', async () => {
    s = await setup('totp', {}, { clients: [{ clientId: FAKE_DHAN_CLIENT.clientId, pin: FAKE_DHAN_CLIENT.pin }] });
    expect(await rejection(s.refresh())).toMatchObject({ code: 'INVALID_CREDENTIALS' });
  });

  it('the current token set is ignored: re-minting needs only the stored credentials', async () => {
    s = await setup('totp');
    const stale = { accessToken: { reveal: () => 'not-a-token' } as never, issuedAt: START - DAY, expiresAt: START - 1 };
    const fresh = await s.refresh(stale);
    expect(fresh.expiresAt).toBe(START + DAY);
    expect(s.fake.calls[0]!.headers['access-token']).toBeUndefined();
  });

  it('an aborted signal stops the call before it reaches Dhan', async () => {
    s = await setup('totp');
    const error = await rejection(s.adapter.doRefresh({ accountId: 'a', now: s.now(), signal: AbortSignal.abort() }));
    expect(error.name).toBe('AbortError');
    expect(s.fake.calls).toEqual([]);
    expect(TokensError.isInstance(error)).toBe(false);
  });
});
