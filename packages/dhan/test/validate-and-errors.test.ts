import { afterEach, describe, expect, it } from 'vitest';
import { BrokerApiError, InvalidInputError, LoginRequiredError, Secret, type TokenSetV1 } from '@tokens/core';
import { sendJson, startLoopbackServer, type LoopbackServer } from '@tokens/broker-utils/testing';
import { createDhan, isDhanAuthError, parseDhanError } from '../src';
import { DAY, HOUR, rejection, setup, signal, START, type Setup } from './helpers';

let s: Setup | undefined;
let server: LoopbackServer | undefined;
afterEach(async () => {
  await s?.close();
  await server?.close();
  s = undefined;
  server = undefined;
});

const NOW = Date.UTC(2026, 0, 5, 4, 0);
const session = (token = 'tok-current-0001'): TokenSetV1 => ({ accessToken: new Secret(token), issuedAt: NOW - HOUR, expiresAt: NOW + 23 * HOUR });

describe('doValidate: GET /v2/profile', () => {
  it('sends the token and client id as headers and reads tokenValidity (DD/MM/YYYY HH:mm, IST) as the expiry', async () => {
    s = await setup('totp');
    const tokenSet = await s.refresh();
    await s.clock.advance(HOUR);
    const result = await s.adapter.doValidate!({ accountId: 'a', tokenSet, now: s.now(), signal: signal() });
    expect(result).toEqual({ valid: true, expiresAt: START + DAY });
    const call = s.fake.calls.at(-1)!;
    expect(call).toMatchObject({ method: 'GET', path: '/v2/profile', query: {}, rawBody: '' });
    expect(call.headers['access-token']).toBe(tokenSet.accessToken.reveal());
    expect(call.headers.dhanclientid).toBe('1000000401');
  });

  it('a token Dhan rejects (401 DH-901) resolves valid: false with the reason, and does not throw', async () => {
    s = await setup('totp');
    const tokenSet = await s.refresh();
    await s.clock.advance(DAY);
    const result = await s.adapter.doValidate!({ accountId: 'a', tokenSet, now: s.now(), signal: signal() });
    expect(result).toEqual({ valid: false, reason: 'Dhan rejected the access token: DH-901 "Client ID or user generated access token is invalid or expired.".' });
  });

  it("another client's token is not valid for this account", async () => {
    s = await setup('totp', {}, { clients: [{ clientId: '1000000401', pin: '246810', totpSecret: 'JBSWY3DPEHPK3PXP' }, { clientId: '2000000502', pin: '111111' }] });
    const other = s.fake.issueToken({ clientId: '2000000502' });
    const result = await s.adapter.doValidate!({ accountId: 'a', tokenSet: session(other.accessToken), now: s.now(), signal: signal() });
    expect(result.valid).toBe(false);
    expect(s.fake.calls[0]!.headers.dhanclientid).toBe('1000000401');
  });

  it('a 5xx throws a retryable BrokerApiError (transport trouble is not "invalid")', async () => {
    s = await setup('totp');
    const tokenSet = await s.refresh();
    s.fake.fault('server-error');
    const error = await rejection(s.adapter.doValidate!({ accountId: 'a', tokenSet, now: s.now(), signal: signal() }));
    expect(BrokerApiError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 500, brokerCode: 'DH-908', isRetryable: true, isAuthError: false });
  });

  async function profileAnswering(status: number, body: unknown, headers: Record<string, string> = {}) {
    server = await startLoopbackServer((_req, res) => sendJson(res, status, body, headers));
    return createDhan({ mode: 'renew', clientId: '1000000401', accessToken: 'tok-configured-0001', baseUrl: `${server.url}/v2`, environment: {} });
  }

  it.each([
    ['807', { status: 'failed', data: { '807': 'Access token is expired' } }],
    ['808', { status: 'failed', data: { '808': 'Authentication Failed - Client ID or Access Token invalid' } }],
    ['809', { errorType: 'Data_Error', errorCode: '809', errorMessage: 'Access token is invalid' }],
    ['810', { status: 'failed', remarks: { error_code: '810', error_type: 'Data_Error', error_message: 'Client ID is invalid' } }],
  ])('Data API code %s is an auth rejection even on HTTP 400', async (code, body) => {
    const adapter = await profileAnswering(400, body);
    const result = await adapter.doValidate!({ accountId: 'a', tokenSet: session(), now: NOW, signal: signal() });
    expect(result.valid).toBe(false);
    expect(result.reason).toContain(code);
  });
});

describe('error classification (over loopback, exact Dhan bodies)', () => {
  async function renewAnswering(status: number, body: unknown, headers: Record<string, string> = {}) {
    server = await startLoopbackServer((_req, res) => sendJson(res, status, body, headers));
    const adapter = createDhan({ mode: 'renew', clientId: '1000000401', accessToken: 'tok-configured-0001', baseUrl: `${server.url}/v2`, environment: {} });
    return rejection(adapter.doRefresh({ accountId: 'a', current: session(), now: NOW, signal: signal() }));
  }

  it('429 DH-904 is retryable and carries Retry-After', async () => {
    const error = await renewAnswering(429, { errorType: 'Rate_Limit', errorCode: 'DH-904', errorMessage: 'Too many requests' }, { 'retry-after': '7' });
    expect(error).toMatchObject({ code: 'BROKER_API_ERROR', statusCode: 429, brokerCode: 'DH-904', isRetryable: true, retryAfterMs: 7000, needsHuman: false });
  });

  it('DH-904 is retryable whatever the status', async () => {
    const error = await renewAnswering(400, { errorType: 'Rate_Limit', errorCode: 'DH-904', errorMessage: 'Too many requests' });
    expect(error).toMatchObject({ brokerCode: 'DH-904', isRetryable: true });
  });

  it.each([500, 502, 503, 504])('HTTP %i is retryable', async (status) => {
    const error = await renewAnswering(status, { errorType: 'Internal_Server_Error', errorCode: 'DH-908', errorMessage: 'x' });
    expect(error).toMatchObject({ statusCode: status, isRetryable: true, needsHuman: false });
  });

  it('DH-905 is InvalidInputError with Dhan\'s message', async () => {
    const error = await renewAnswering(400, { errorType: 'Input_Exception', errorCode: 'DH-905', errorMessage: 'Missing required fields, bad values for parameters etc.' });
    expect(InvalidInputError.isInstance(error)).toBe(true);
    expect(error.message).toBe('Dhan rejected GET /v2/RenewToken as invalid input: DH-905 "Missing required fields, bad values for parameters etc.".');
  });

  it.each([
    [401, { errorType: 'Invalid_Authentication', errorCode: 'DH-901', errorMessage: 'Client ID or user generated access token is invalid or expired.' }],
    [403, { errorType: 'Invalid_Authentication', errorCode: 'DH-901', errorMessage: 'Client ID or user generated access token is invalid or expired.' }],
    [400, { status: 'failed', data: { '807': 'Access token is expired' } }],
  ])('HTTP %i with an auth code stops renewal: LoginRequiredError', async (status, body) => {
    const error = await renewAnswering(status, body);
    expect(LoginRequiredError.isInstance(error)).toBe(true);
    expect((error.cause as BrokerApiError).isAuthError).toBe(true);
  });

  it('an error envelope inside a 200 is still an error', async () => {
    const error = await renewAnswering(200, { errorType: 'Invalid_Authentication', errorCode: 'DH-901', errorMessage: 'Client ID or user generated access token is invalid or expired.' });
    expect(error).toMatchObject({ code: 'LOGIN_REQUIRED' });
  });

  it('a 200 without a token is an "unexpected response shape" BrokerApiError naming the field, not its value', async () => {
    const error = await renewAnswering(200, { dhanClientId: '1000000401', expiryTime: '2026-01-06T09:30:00.000' });
    expect(error).toMatchObject({ code: 'BROKER_API_ERROR', isRetryable: false });
    expect(error.message).toContain('accessToken: expected an `accessToken` (or `token`) field');
    expect(error.message).not.toContain('1000000401');
  });

  it('DH-902/903/906/907/910 are non-retryable BrokerApiErrors', async () => {
    for (const code of ['DH-902', 'DH-903', 'DH-906', 'DH-907', 'DH-910']) {
      const error = await renewAnswering(400, { errorType: 'Other', errorCode: code, errorMessage: 'no' });
      expect(error).toMatchObject({ code: 'BROKER_API_ERROR', brokerCode: code, isRetryable: false, isAuthError: false });
      await server!.close();
      server = undefined;
    }
  });

  it('parseDhanError reads every Dhan error shape', () => {
    expect(parseDhanError({ errorType: 'Input_Exception', errorCode: 'DH-905', errorMessage: 'm' })).toEqual({ code: 'DH-905', type: 'Input_Exception', message: 'm' });
    expect(parseDhanError({ status: 'failed', data: { '805': 'Too many requests' } })).toEqual({ code: '805', message: 'Too many requests' });
    expect(parseDhanError({ status: 'failure', remarks: { error_code: 'DH-906', error_type: 'Order_Error', error_message: 'x' }, data: '' })).toEqual({
      code: 'DH-906',
      type: 'Order_Error',
      message: 'x',
    });
    expect(parseDhanError({ errorCode: 807 })).toMatchObject({ code: '807' });
    expect(parseDhanError('nope')).toEqual({});
    expect(parseDhanError({ data: [1, 2] })).toEqual({});
  });

  it('isDhanAuthError recognises Dhan auth failures in errors and bodies (for withToken)', () => {
    expect(isDhanAuthError({ errorType: 'Invalid_Authentication', errorCode: 'DH-901', errorMessage: 'x' })).toBe(true);
    expect(isDhanAuthError({ status: 'failed', data: { '807': 'Access token is expired' } })).toBe(true);
    expect(isDhanAuthError({ response: { status: 400, data: { errorCode: 'DH-901' } } })).toBe(true);
    expect(isDhanAuthError({ statusCode: 401 })).toBe(true);
    expect(isDhanAuthError({ brokerCode: '809' })).toBe(true);
    expect(isDhanAuthError({ errorCode: 'DH-904' })).toBe(false);
    expect(isDhanAuthError(new Error('boom'))).toBe(false);
    expect(isDhanAuthError(undefined)).toBe(false);
  });
});
