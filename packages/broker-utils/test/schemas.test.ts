import { BrokerApiError } from '@tokens/core';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as zm from 'zod/mini';
import { createBrokerHttp, parseJsonResponse } from '../src';
import { sendJson, startLoopbackServer, type LoopbackServer } from '../src/testing';

let server: LoopbackServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function responseWith(status: number, body: unknown) {
  server = await startLoopbackServer((_req, res) => {
    if (typeof body !== 'string') return sendJson(res, status, body);
    res.writeHead(status);
    res.end(body);
  });
  return createBrokerHttp({ broker: 'schwab', baseUrl: server.url }).request('/v1/oauth/token', { method: 'POST' });
}

const tokenSchema = z.object({ access_token: z.string(), expires_in: z.number() });

describe('parseJsonResponse', () => {
  it('returns the typed value (extra fields allowed)', async () => {
    const response = await responseWith(200, { access_token: 'a', expires_in: 1800, scope: 'api' });
    const value = parseJsonResponse(tokenSchema, response);
    expect(value.expires_in).toBe(1800);
  });

  it('works with zod/mini schemas', async () => {
    const response = await responseWith(200, { access_token: 'a' });
    expect(parseJsonResponse(zm.object({ access_token: zm.string() }), response)).toEqual({ access_token: 'a' });
  });

  it('throws a non-retryable "unexpected response shape" error naming fields, not values', async () => {
    const response = await responseWith(200, { access_token: 42, expires_in: 'soon-SECRETISH' });
    let error: unknown;
    try {
      parseJsonResponse(tokenSchema, response);
    } catch (e) {
      error = e;
    }
    expect(BrokerApiError.isInstance(error)).toBe(true);
    const e = error as BrokerApiError;
    expect(e.message).toMatch(/^schwab answered POST \/v1\/oauth\/token \(HTTP 200\) with an unexpected response shape: access_token: .*expires_in: /);
    expect(e.message).not.toContain('SECRETISH');
    expect(e).toMatchObject({ isRetryable: false, statusCode: 200, isAuthError: false });
    expect(e.responseBody).toBe('{"access_token":"[redacted]","expires_in":"soon-SECRETISH"}');
  });

  it('is retryable for a 5xx body that is not JSON', async () => {
    const response = await responseWith(503, '<html>maintenance</html>');
    expect(() => parseJsonResponse(tokenSchema, response)).toThrow(/a body that is not JSON/);
    try {
      parseJsonResponse(tokenSchema, response);
    } catch (e) {
      expect(e).toMatchObject({ isRetryable: true, statusCode: 503, responseBody: '<html>maintenance</html>' });
    }
  });
});
