import { afterEach, describe, expect, it } from 'vitest';
import { generateTotp } from '@tokens/broker-utils';
import { createFakeClock } from '@tokens/core/testing';
import { startFakeKotak, type FakeKotak } from '../src/fake';
import { ist } from './helpers';

// The fake is what tests, benchmarks and the daemon sandbox trust: check it with raw fetch,
// independently of the adapter.
let fake: FakeKotak;
afterEach(() => fake?.close());

const clock = () => createFakeClock(ist(2026, 1, 27, 8, 30));

async function post(url: string, headers: Record<string, string>, body: unknown) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Runs step 1 by hand; returns the view token and sid. */
async function step1(f: FakeKotak, now: number) {
  const c = f.credentials;
  const r = await post(
    `${f.url}/login/1.0/tradeApiLogin`,
    { Authorization: c.consumerKey, 'neo-fin-key': 'neotradeapi' },
    { mobileNumber: c.mobileNumber, ucc: c.ucc, totp: generateTotp({ secret: c.totpSecret, now }).reveal() },
  );
  const data = r.body.data as { token: string; sid: string };
  return { status: r.status, body: r.body, token: data?.token, sid: data?.sid };
}

async function fullLogin(f: FakeKotak, now: number) {
  const view = await step1(f, now);
  const r = await post(
    `${f.url}/login/1.0/tradeApiValidate`,
    { Authorization: f.credentials.consumerKey, sid: view.sid, Auth: view.token, 'neo-fin-key': 'neotradeapi' },
    { mpin: f.credentials.mpin },
  );
  return r.body.data as { token: string; sid: string; baseUrl: string; kType: string };
}

const limits = (f: FakeKotak, s: { token: string; sid: string }) =>
  fetch(`${f.tradingUrl}/quick/user/limits`, {
    method: 'POST',
    headers: { Sid: s.sid, Auth: s.token, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'jData=%7B%22seg%22%3A%22ALL%22%7D',
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as unknown }));

describe('login host', () => {
  it('tradeApiLogin answers the documented success shape with a view JWT', async () => {
    const c = clock();
    fake = await startFakeKotak({ clock: c, credentials: { ucc: 'ABC12' } });
    const r = await step1(fake, c.now());
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({ ucc: 'ABC12', kType: 'View', status: 'success', dataCenter: 'E43', isUserPwdExpired: false });
    expect(r.sid).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.token.split('.')).toHaveLength(3);
  });

  it('enforces the raw consumer key and neo-fin-key, and the required fields', async () => {
    const c = clock();
    fake = await startFakeKotak({ clock: c });
    const k = fake.credentials;
    const body = { mobileNumber: k.mobileNumber, ucc: k.ucc, totp: generateTotp({ secret: k.totpSecret, now: c.now() }).reveal() };
    const url = `${fake.url}/login/1.0/tradeApiLogin`;
    expect(await post(url, { Authorization: k.consumerKey }, body)).toEqual({
      status: 400,
      body: { error: [{ code: '10512', message: 'Required header not found.' }] },
    });
    expect(await post(url, { Authorization: `Bearer ${k.consumerKey}`, 'neo-fin-key': 'neotradeapi' }, body)).toEqual({
      status: 401,
      body: { error: [{ code: '401', message: 'Invalid Credentials' }], stat: 'Not_Ok' },
    });
    expect(await post(url, { Authorization: k.consumerKey, 'neo-fin-key': 'neotradeapi' }, { ...body, totp: undefined })).toEqual({
      status: 400,
      body: { error: [{ code: '400', message: "Missing required field 'Totp'" }] },
    });
    expect(await post(url, { Authorization: k.consumerKey, 'neo-fin-key': 'neotradeapi' }, { ...body, ucc: 'OTHER' })).toEqual({
      status: 200,
      body: { stCode: 429, errMsg: 'Invalid UCC', status: 'failure' },
    });
    expect(await post(url, { Authorization: k.consumerKey, 'neo-fin-key': 'neotradeapi' }, { ...body, totp: '000000' })).toEqual({
      status: 200,
      body: { stCode: 401, errMsg: 'Invalid TOTP', status: 'failure' },
    });
    expect(fake.stats).toMatchObject({ loginAttempts: 5, logins: 0 });
  });

  it('accepts the TOTP of the neighbouring 30 s steps only', async () => {
    const c = clock();
    fake = await startFakeKotak({ clock: c });
    expect((await step1(fake, c.now() - 30_000)).status).toBe(200);
    expect((await step1(fake, c.now() + 30_000)).status).toBe(200);
    expect((await step1(fake, c.now() - 60_000)).body).toEqual({ stCode: 401, errMsg: 'Invalid TOTP', status: 'failure' });
  });

  it('tradeApiValidate needs the view session of step 1 and the MPIN; a view session is used once', async () => {
    const c = clock();
    fake = await startFakeKotak({ clock: c });
    const k = fake.credentials;
    const url = `${fake.url}/login/1.0/tradeApiValidate`;
    const view = await step1(fake, c.now());
    const headers = { Authorization: k.consumerKey, sid: view.sid, Auth: view.token, 'neo-fin-key': 'neotradeapi' };
    expect(await post(url, { ...headers, sid: 'another-sid' }, { mpin: k.mpin })).toEqual({
      status: 403,
      body: { stCode: 100022, errMsg: 'invalid session token', stat: 'Not_Ok' },
    });
    const again = await step1(fake, c.now());
    const h2 = { ...headers, sid: again.sid, Auth: again.token };
    expect(await post(url, h2, {})).toEqual({ status: 400, body: { error: [{ code: '400', message: "Missing required field 'Mpin'" }] } });
    expect(await post(url, h2, { mpin: '000000' })).toEqual({ status: 200, body: { stCode: 401, errMsg: 'Invalid MPIN', status: 'failure' } });
    // The wrong MPIN used up that view session.
    expect((await post(url, h2, { mpin: k.mpin })).status).toBe(403);
    const ok = await fullLogin(fake, c.now());
    expect(ok).toMatchObject({ kType: 'Trade', baseUrl: fake.tradingUrl });
    expect(fake.stats).toMatchObject({ logins: 1, activeSessions: 1 });
  });

  it('get-client-ip answers for a trade session only', async () => {
    const c = clock();
    fake = await startFakeKotak({ clock: c });
    const view = await step1(fake, c.now());
    const probe = (sid: string, token: string) =>
      fetch(`${fake.url}/login/1.0/get-client-ip`, { headers: { Authorization: fake.credentials.consumerKey, Sid: sid, Auth: token } }).then(
        async (r) => ({ status: r.status, body: (await r.json()) as unknown }),
      );
    expect((await probe(view.sid, view.token)).status).toBe(403);
    const trade = await fullLogin(fake, c.now());
    expect(await probe(trade.sid, trade.token)).toEqual({
      status: 200,
      body: { data: [{ ip: '127.0.0.1', time: '2026-01-27 08:30:00.000' }], stCode: 1000, status: 'success' },
    });
  });
});

describe('trading host and sessions', () => {
  it('serves /quick/user/limits until 00:00 IST, then answers 403 stCode 100022', async () => {
    const c = createFakeClock(ist(2026, 1, 27, 23, 59));
    fake = await startFakeKotak({ clock: c });
    const trade = await fullLogin(fake, c.now());
    expect(await limits(fake, trade)).toMatchObject({ status: 200, body: { stCode: 200, stat: 'Ok' } });
    await c.advanceTo(ist(2026, 1, 28, 0, 0));
    expect(await limits(fake, trade)).toEqual({ status: 403, body: { stCode: 100022, errMsg: 'invalid session token', stat: 'Not_Ok' } });
    expect(fake.stats.activeSessions).toBe(0);
  });

  it('a new login, invalidateSession and expireSessions end sessions; unknown paths are 404', async () => {
    const c = clock();
    fake = await startFakeKotak({ clock: c });
    const first = await fullLogin(fake, c.now());
    const second = await fullLogin(fake, c.now());
    expect((await limits(fake, first)).status).toBe(403);
    expect((await limits(fake, second)).status).toBe(200);
    expect(fake.invalidateSession(second.token)).toBe(true);
    expect((await limits(fake, second)).status).toBe(403);
    const seeded = fake.seedSession();
    expect(seeded.baseUrl).toBe(fake.tradingUrl);
    expect((await limits(fake, seeded)).status).toBe(200);
    expect(fake.expireSessions()).toBe(1);
    expect((await limits(fake, seeded)).status).toBe(403);
    const third = await fullLogin(fake, c.now());
    const other = await fetch(`${fake.tradingUrl}/quick/user/nothing`, { headers: { Sid: third.sid, Auth: third.token } });
    expect(other.status).toBe(404);
    expect(fake.calls.filter((x) => x.host === 'trading').map((x) => x.path)).toContain('/quick/user/nothing');
  });
});

describe('FakeBrokerServer shape', () => {
  it('faults hit the next N requests on either host, in order', async () => {
    const c = clock();
    fake = await startFakeKotak({ clock: c });
    fake.fault('server-error', { times: 2 });
    fake.fault('rate-limit', { retryAfterSeconds: 3 });
    fake.fault('malformed');
    expect((await step1(fake, c.now())).status).toBe(500);
    const trade = await limits(fake, { sid: 'x', token: 'y' });
    expect(trade).toEqual({ status: 500, body: { error: [{ code: '500', message: 'Unexpected error' }], stat: 'Not_Ok' } });
    const limited = await fetch(`${fake.url}/login/1.0/get-client-ip`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    const malformed = await fetch(`${fake.url}/login/1.0/get-client-ip`);
    await expect(malformed.json()).rejects.toThrow();
    expect((await step1(fake, c.now())).status).toBe(200);
  });

  it("'revoked' refuses the consumer key on logins and the session elsewhere; 'reset' and 'timeout' break the connection", async () => {
    const c = clock();
    fake = await startFakeKotak({ clock: c });
    fake.fault('revoked', { times: 2 });
    expect((await step1(fake, c.now())).status).toBe(401);
    expect((await limits(fake, fake.seedSession())).status).toBe(403);
    fake.fault('reset');
    await expect(fetch(`${fake.url}/login/1.0/get-client-ip`)).rejects.toThrow();
    fake.fault('timeout');
    await expect(fetch(`${fake.url}/login/1.0/get-client-ip`, { signal: AbortSignal.timeout(100) })).rejects.toThrow();
  });

  it('records every call with its host and fake-clock time; browserLogin explains there is none', async () => {
    const c = clock();
    fake = await startFakeKotak({ clock: c });
    await step1(fake, c.now());
    await c.advance(5_000);
    await limits(fake, { sid: 's', token: 't' });
    expect(fake.calls.map(({ host, method, path, at }) => ({ host, method, path, at }))).toEqual([
      { host: 'login', method: 'POST', path: '/login/1.0/tradeApiLogin', at: ist(2026, 1, 27, 8, 30) },
      { host: 'trading', method: 'POST', path: '/quick/user/limits', at: ist(2026, 1, 27, 8, 30, 5) },
    ]);
    expect(fake.broker).toBe('kotak');
    await expect(fake.browserLogin('https://example.invalid/authorize')).rejects.toThrow('Kotak has no browser login');
  });
});
