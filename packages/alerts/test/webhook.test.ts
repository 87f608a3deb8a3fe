import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Secret } from '@tokens/core';
import { createFakeClock } from '@tokens/core/testing';
import { canaryCheck } from '@tokens/test-suite';
import { AlertDeliveryError, formatAlert, signWebhookBody, verifyWebhookSignature } from '../src/index';
import { loginAlert } from './helpers/alerts';
import { WEBHOOK_PATH, WEBHOOK_SECRET, webhookHarness, type Harness } from './helpers/harnesses';
import type { HttpReceiver } from './helpers/receivers';

let h: Harness<HttpReceiver> | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const NOW = Date.UTC(2026, 0, 5, 14, 0, 7);

describe('webhook sink', () => {
  it('posts the alert as JSON with a timestamp and an HMAC signature over timestamp.body', async () => {
    const clock = createFakeClock(NOW);
    h = await webhookHarness({ clock, headers: { Authorization: new Secret('Bearer receiver-canary-credential-0042') } });
    const alert = loginAlert();
    await h.sink.send(alert);
    const [call] = h.receiver.calls;
    expect(call!.method).toBe('POST');
    expect(call!.path).toBe(WEBHOOK_PATH);
    expect(call!.headers['content-type']).toBe('application/json');
    expect(call!.headers['authorization']).toBe('Bearer receiver-canary-credential-0042');
    expect(call!.headers['x-tokens-alert-id']).toBe('alert-0001');
    expect(call!.headers['x-tokens-timestamp']).toBe(String(Math.floor(NOW / 1000)));
    expect(call!.json).toEqual({ event: 'alert', alert, text: formatAlert(alert).text });
    // Independent check of the documented scheme, on the exact bytes received.
    const expected = createHmac('sha256', WEBHOOK_SECRET).update(`${Math.floor(NOW / 1000)}.${call!.rawBody}`).digest('hex');
    expect(call!.headers['x-tokens-signature']).toBe(`sha256=${expected}`);
    expect(
      verifyWebhookSignature({
        secret: WEBHOOK_SECRET,
        timestamp: call!.headers['x-tokens-timestamp'] as string,
        signature: call!.headers['x-tokens-signature'] as string,
        body: call!.rawBody,
        now: NOW + 1_000,
      }),
    ).toEqual({ ok: true, timestamp: Math.floor(NOW / 1000) });
  });

  it('401 from the receiver is not retryable and names the secret; 503 is retryable; no secret or URL leaks', async () => {
    h = await webhookHarness({ headers: { Authorization: 'Bearer receiver-canary-credential-0042' } });
    h.receiver.replyWith({ status: 401, text: `bad signature; you sent ${WEBHOOK_SECRET}` }, { status: 503, text: 'down' });
    const errors: unknown[] = [];
    for (let i = 0; i < 2; i++) await h.sink.send(loginAlert()).catch((e: unknown) => errors.push(e));
    expect(errors.map((e) => AlertDeliveryError.isInstance(e) && [e.code, e.isRetryable])).toEqual([
      ['ALERT_CHANNEL_REJECTED', false],
      ['ALERT_CHANNEL_UNAVAILABLE', true],
    ]);
    expect((errors[0] as Error).message).toContain('refused the request (HTTP 401). Check that it verifies with the same `secret`');
    expect(canaryCheck([WEBHOOK_SECRET, WEBHOOK_PATH, 'webhookCanaryPathTokenH5j', 'receiver-canary-credential-0042'], ...errors)).toEqual([]);
  });
});

describe('verifyWebhookSignature', () => {
  const body = '{"event":"alert","alert":{"id":"a1"}}';
  const timestamp = String(Math.floor(NOW / 1000));
  const signature = signWebhookBody({ secret: WEBHOOK_SECRET, timestamp, body });

  it('accepts a good signature (string or bytes), also during a secret rotation', () => {
    expect(verifyWebhookSignature({ secret: WEBHOOK_SECRET, timestamp, body, signature, now: NOW })).toMatchObject({ ok: true });
    expect(verifyWebhookSignature({ secret: WEBHOOK_SECRET, timestamp, body: Buffer.from(body), signature, now: NOW })).toMatchObject({ ok: true });
    expect(verifyWebhookSignature({ secret: ['new-secret-value', new Secret(WEBHOOK_SECRET)], timestamp, body, signature, now: NOW })).toMatchObject({ ok: true });
  });

  it('rejects a tampered body, a wrong secret and a moved timestamp', () => {
    expect(verifyWebhookSignature({ secret: WEBHOOK_SECRET, timestamp, body: body.replace('a1', 'a2'), signature, now: NOW })).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyWebhookSignature({ secret: 'another-secret', timestamp, body, signature, now: NOW })).toEqual({ ok: false, reason: 'mismatch' });
    const moved = String(Number(timestamp) - 1);
    expect(verifyWebhookSignature({ secret: WEBHOOK_SECRET, timestamp: moved, body, signature, now: NOW })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('rejects an old (replayed) or far-future timestamp, with a configurable tolerance', () => {
    expect(verifyWebhookSignature({ secret: WEBHOOK_SECRET, timestamp, body, signature, now: NOW + 5 * 60_000 + 1_000 })).toEqual({ ok: false, reason: 'stale' });
    expect(verifyWebhookSignature({ secret: WEBHOOK_SECRET, timestamp, body, signature, now: NOW - 6 * 60_000 })).toEqual({ ok: false, reason: 'stale' });
    expect(verifyWebhookSignature({ secret: WEBHOOK_SECRET, timestamp, body, signature, now: NOW + 20 * 60_000, toleranceMs: 30 * 60_000 })).toMatchObject({ ok: true });
  });

  it('rejects missing and malformed headers', () => {
    expect(verifyWebhookSignature({ secret: WEBHOOK_SECRET, timestamp: undefined, body, signature, now: NOW })).toEqual({ ok: false, reason: 'missing' });
    expect(verifyWebhookSignature({ secret: WEBHOOK_SECRET, timestamp, body, signature: null, now: NOW })).toEqual({ ok: false, reason: 'missing' });
    expect(verifyWebhookSignature({ secret: WEBHOOK_SECRET, timestamp: '1e9', body, signature, now: NOW })).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyWebhookSignature({ secret: WEBHOOK_SECRET, timestamp, body, signature: signature.replace('sha256=', 'sha1='), now: NOW })).toEqual({ ok: false, reason: 'malformed' });
  });
});
