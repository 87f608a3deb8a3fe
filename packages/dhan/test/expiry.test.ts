import { afterEach, describe, expect, it } from 'vitest';
import { Secret } from '@tokens/core';
import { sendJson, startLoopbackServer, type LoopbackServer } from '@tokens/broker-utils/testing';
import { createDhan } from '../src';
import { DAY, HOUR, signal } from './helpers';

// expiresAt comes from `expiryTime` (ISO without offset = IST), cross-checked against the JWT's
// `exp`; the earlier wins when they disagree, so a UTC-vs-IST mix-up renews early, never late.

const NOW = Date.UTC(2026, 0, 5, 4, 0); // 09:30 IST
let server: LoopbackServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function jwt(claims: Record<string, unknown>): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ typ: 'JWT', alg: 'HS512' })}.${part({ iss: 'dhan', dhanClientId: '1000000401', ...claims })}.c2lnbmF0dXJl`;
}

async function mintAnswering(body: Record<string, unknown>) {
  server = await startLoopbackServer((_req, res) => sendJson(res, 200, body));
  const adapter = createDhan({
    mode: 'totp',
    clientId: '1000000401',
    pin: '246810',
    totpSecret: 'JBSWY3DPEHPK3PXP',
    authBaseUrl: server.url,
    environment: {},
  });
  return adapter.doRefresh({ accountId: 'a', now: NOW, signal: signal() });
}

describe('token expiry', () => {
  it('expiryTime and the JWT exp agree: expiryTime (read as IST) is used', async () => {
    const t = await mintAnswering({ accessToken: jwt({ exp: (NOW + DAY) / 1000 + 30 }), expiryTime: '2026-01-06T09:30:00.000' });
    expect(t.expiresAt).toBe(NOW + DAY);
  });

  it('they disagree (expiryTime written in UTC): the earlier one wins', async () => {
    // 04:00 read as IST is 22:30 UTC the day before, 5.5 h earlier than the JWT says.
    const t = await mintAnswering({ accessToken: jwt({ exp: (NOW + DAY) / 1000 }), expiryTime: '2026-01-06T04:00:00.000' });
    expect(t.expiresAt).toBe(NOW + DAY - 5.5 * HOUR);
  });

  it('only the JWT exp: used', async () => {
    const t = await mintAnswering({ accessToken: jwt({ exp: (NOW + 20 * HOUR) / 1000 }) });
    expect(t.expiresAt).toBe(NOW + 20 * HOUR);
  });

  it('neither (an opaque token, no expiryTime): the documented 24 h lifetime', async () => {
    const t = await mintAnswering({ accessToken: 'opaque-token-without-claims' });
    expect(t.expiresAt).toBe(NOW + DAY);
  });

  it('a token that is already expired by its own account is refused, not stored', async () => {
    await expect(mintAnswering({ accessToken: 'opaque', expiryTime: '2026-01-05T09:00:00.000' })).rejects.toMatchObject({
      code: 'BROKER_API_ERROR',
      isRetryable: false,
      message: expect.stringContaining('already expired'),
    });
  });

  it('an injected fetch carries every request', async () => {
    server = await startLoopbackServer((_req, res) => sendJson(res, 200, { accessToken: 'tok-via-custom-fetch', expiryTime: '2026-01-06T09:30:00.000' }));
    const seen: string[] = [];
    const adapter = createDhan({
      mode: 'renew',
      clientId: '1000000401',
      accessToken: new Secret('tok-current'),
      baseUrl: `${server.url}/v2`,
      environment: {},
      fetch: (input, init) => {
        seen.push(`${init?.method} ${new URL(input instanceof Request ? input.url : String(input)).pathname}`);
        return fetch(input, init);
      },
    });
    const t = await adapter.doRefresh({ accountId: 'a', now: NOW, signal: signal(), current: { accessToken: new Secret('tok-current'), issuedAt: NOW - HOUR, expiresAt: NOW + HOUR } });
    expect(t.accessToken.reveal()).toBe('tok-via-custom-fetch');
    expect(seen).toEqual(['GET /v2/RenewToken']);
  });
});
