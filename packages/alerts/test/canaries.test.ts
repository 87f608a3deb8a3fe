import { describe, expect, it } from 'vitest';
import { canaryCheck } from '@tokens/test-suite';
import { createTelegramAlertSink, type AlertDeliveryError } from '../src/index';
import { loginAlert } from './helpers/alerts';
import {
  BOT_TOKEN,
  DISCORD_PATH,
  discordHarness,
  emailHarness,
  SLACK_PATH,
  slackHarness,
  SMTP_PASS,
  SMTP_USER,
  telegramHarness,
  WEBHOOK_PATH,
  WEBHOOK_SECRET,
  webhookHarness,
  type Harness,
} from './helpers/harnesses';
import { startLoopbackServer } from '@tokens/broker-utils/testing';
import type { HttpReceiver, Reply } from './helpers/receivers';

// Shaped like broker tokens: a JWT and a long opaque session id, echoed back by hostile or buggy receivers.
const JWT_LIKE = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW5hcnktdXNlciJ9.c2lnbmF0dXJlLWNhbmFyeS12YWx1ZQ';
const OPAQUE_LIKE = 'sess0canary0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8';

const CANARIES = [
  BOT_TOKEN,
  SLACK_PATH,
  'slackCanaryWebhookTokenQ7x',
  DISCORD_PATH,
  'discordCanaryWebhookTokenZ3m-vRt8',
  WEBHOOK_PATH,
  'webhookCanaryPathTokenH5j',
  WEBHOOK_SECRET,
  SMTP_PASS,
  Buffer.from(SMTP_PASS).toString('base64'),
  Buffer.from(`\u0000${SMTP_USER}\u0000${SMTP_PASS}`).toString('base64'),
  JWT_LIKE,
  OPAQUE_LIKE,
];

const echo = `echo: ${CANARIES.join(' ')} Bearer ${OPAQUE_LIKE}`;

/** Replies that quote every secret back, as JSON and as text, with each status class. */
const hostileReplies: Reply[] = [
  { status: 400, body: { ok: false, description: echo, message: echo } },
  { status: 401, body: { ok: false, description: echo, message: echo } },
  { status: 404, text: echo },
  { status: 429, body: { ok: false, description: echo, message: echo, parameters: { retry_after: 0 }, retry_after: 0 } },
  { status: 503, text: echo },
];

async function failures(h: Harness<HttpReceiver>): Promise<unknown[]> {
  const errors: unknown[] = [];
  const attempt = () => h.sink.send(loginAlert()).then(() => errors.push(new Error('delivered unexpectedly')), (e: unknown) => errors.push(e));
  for (const reply of hostileReplies) {
    h.receiver.replyWith(reply);
    await attempt();
  }
  h.receiver.fail('reset');
  await attempt();
  await h.receiver.close();
  await attempt();
  return errors;
}

describe('no channel leaks its credentials or echoed tokens', () => {
  for (const [name, make] of [
    ['telegram', telegramHarness],
    ['slack', slackHarness],
    ['discord', discordHarness],
    ['webhook', webhookHarness],
  ] as const) {
    it(`${name}: errors for every failure mode, and the delivered bodies`, async () => {
      const h = await make();
      await h.sink.send(loginAlert());
      const bodies = h.receiver.delivered.map((c) => c.rawBody);
      const errors = await failures(h);
      expect(errors).toHaveLength(hostileReplies.length + 2);
      expect(errors.every((e) => (e as AlertDeliveryError).name === 'AlertDeliveryError')).toBe(true);
      expect(canaryCheck(CANARIES, ...errors, ...bodies)).toEqual([]);
    });
  }

  it('email: a refused login, a deferred message and a dead server', async () => {
    const h = await emailHarness();
    await h.sink.send(loginAlert());
    const errors: unknown[] = [];
    h.receiver.fail('server-error');
    await h.sink.send(loginAlert()).catch((e: unknown) => errors.push(e));
    h.receiver.fail('reset');
    await h.sink.send(loginAlert()).catch((e: unknown) => errors.push(e));
    await h.close();
    await h.sink.send(loginAlert()).catch((e: unknown) => errors.push(e));
    await h.sink.close?.();
    expect(errors).toHaveLength(3);
    expect(canaryCheck(CANARIES, ...errors, ...h.receiver.messages.map((m) => m.raw))).toEqual([]);
  });

  it('a receiver that never answers times out as a retryable error without the token', async () => {
    const hang = await startLoopbackServer(() => undefined);
    const sink = createTelegramAlertSink({ botToken: BOT_TOKEN, chatId: 1, baseUrl: hang.url, timeoutMs: 150 });
    const error = await sink.send(loginAlert()).catch((e: unknown) => e);
    await hang.close();
    expect(error).toMatchObject({ code: 'ALERT_CHANNEL_UNAVAILABLE', isRetryable: true, message: 'Could not reach Telegram: no answer in time. Will retry.' });
    expect(canaryCheck(CANARIES, error)).toEqual([]);
  });
});
