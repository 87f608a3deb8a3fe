import { afterEach, describe, expect, it } from 'vitest';
import { InvalidConfigError } from '@tokens/core';
import { createFakeClock } from '@tokens/core/testing';
import { canaryCheck } from '@tokens/test-suite';
import { AlertDeliveryError, createTelegramAlertSink } from '../src/index';
import { loginAlert } from './helpers/alerts';
import { BOT_TOKEN, CHAT_ID, telegramHarness, type Harness } from './helpers/harnesses';
import type { HttpReceiver } from './helpers/receivers';

let h: Harness<HttpReceiver> | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function rejection(p: Promise<unknown>): Promise<AlertDeliveryError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(AlertDeliveryError.isInstance(error), `an AlertDeliveryError, got ${String(error)}`).toBe(true);
  expect(canaryCheck([BOT_TOKEN], error)).toEqual([]);
  return error as AlertDeliveryError;
}

describe('telegram', () => {
  it('posts sendMessage with HTML text, no preview, and a URL button', async () => {
    h = await telegramHarness();
    await h.sink.send(loginAlert());
    const [call] = h.receiver.calls;
    expect(call!.method).toBe('POST');
    expect(call!.path).toBe(`/bot${BOT_TOKEN}/sendMessage`);
    expect(call!.headers['content-type']).toBe('application/json');
    expect(call!.json).toEqual({
      chat_id: CHAT_ID,
      text: [
        '<b>🔑 schwab-main (schwab): human login needed</b>',
        '',
        'The refresh token was revoked. Automatic renewal has stopped until someone logs in.',
        '',
        '<i>Bots stop: Mon 09:30 ET</i>',
        '<i>What to do: Tap the login link below; renewal resumes on its own afterwards.</i>',
        '<i>Account: schwab-main · schwab</i>',
        '',
        '👉 <a href="https://tokens.example.com/login/schwab-main?s=v1.abc.def">Log in</a>',
      ].join('\n'),
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
      disable_notification: false,
      reply_markup: { inline_keyboard: [[{ text: 'Log in', url: 'https://tokens.example.com/login/schwab-main?s=v1.abc.def' }]] },
    });
  });

  it('escapes HTML, sends info silently, posts into a topic, and drops the button for a localhost link', async () => {
    h = await telegramHarness({ messageThreadId: 42 });
    await h.sink.send(
      loginAlert({
        severity: 'info',
        title: 'a <b> & "c"',
        message: '<script>x</script>',
        action: { label: 'Log in', url: 'http://127.0.0.1:8080/login/schwab-main?s=x&y=1' },
      }),
    );
    const json = h.receiver.calls[0]!.json as Record<string, unknown>;
    expect(json.message_thread_id).toBe(42);
    expect(json.disable_notification).toBe(true);
    expect(json.reply_markup).toBeUndefined();
    expect(json.text).toContain('<b>🔑 a &lt;b&gt; &amp; &quot;c&quot;</b>');
    expect(json.text).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(json.text).toContain('<a href="http://127.0.0.1:8080/login/schwab-main?s=x&amp;y=1">Log in</a>');
  });

  it('a rejected bot token is not retryable and says how to fix it, without the token', async () => {
    h = await telegramHarness();
    h.receiver.replyWith({ status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } });
    const error = await rejection(h.sink.send(loginAlert()));
    expect(error).toMatchObject({ code: 'ALERT_CHANNEL_REJECTED', isRetryable: false, needsHuman: true, statusCode: 401, channel: 'telegram' });
    expect(error.message).toBe('Telegram rejected the bot token (HTTP 401: Unauthorized). Fix `botToken`: copy it again from @BotFather (/mybots → API Token).');
  });

  it('an unknown chat names the chat id and the fix', async () => {
    h = await telegramHarness();
    h.receiver.replyWith({ status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: chat not found' } });
    const error = await rejection(h.sink.send(loginAlert()));
    expect(error.isRetryable).toBe(false);
    expect(error.message).toContain(`Telegram cannot find chat ${CHAT_ID} (HTTP 400: Bad Request: chat not found). Fix \`chatId\``);
  });

  it('honours retry_after: retryable, and no request reaches Telegram until the wait is over', async () => {
    const clock = createFakeClock();
    h = await telegramHarness({ clock });
    h.receiver.replyWith({ status: 429, body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 7', parameters: { retry_after: 7 } } });
    const first = await rejection(h.sink.send(loginAlert()));
    expect(first).toMatchObject({ code: 'ALERT_RATE_LIMITED', isRetryable: true, retryAfterMs: 7_000 });
    await clock.advance(6_000);
    const second = await rejection(h.sink.send(loginAlert()));
    expect(second).toMatchObject({ code: 'ALERT_RATE_LIMITED', isRetryable: true, retryAfterMs: 1_000 });
    expect(h.receiver.calls).toHaveLength(1);
    await clock.advance(1_000);
    await h.sink.send(loginAlert());
    expect(h.receiver.delivered).toHaveLength(1);
  });

  it('5xx and an unreachable server are retryable', async () => {
    h = await telegramHarness();
    h.receiver.replyWith({ status: 502, text: 'Bad Gateway' });
    expect(await rejection(h.sink.send(loginAlert()))).toMatchObject({ code: 'ALERT_CHANNEL_UNAVAILABLE', isRetryable: true, statusCode: 502 });
    await h.receiver.close();
    const error = await rejection(h.sink.send(loginAlert()));
    expect(error).toMatchObject({ code: 'ALERT_CHANNEL_UNAVAILABLE', isRetryable: true });
    expect(error.message).toBe('Could not reach Telegram: the connection was refused (ECONNREFUSED). Will retry.');
  });

  it('keeps long messages under the 4096-character limit', async () => {
    h = await telegramHarness();
    await h.sink.send(loginAlert({ message: 'x'.repeat(10_000) }));
    expect(((h.receiver.calls[0]!.json as { text: string }).text).length).toBeLessThan(4096);
  });

  it('refuses a malformed bot token or a missing chat id at start-up without quoting the token', () => {
    const bad = 'not-a-token-but-secret-looking-1234567890';
    let error: unknown;
    try {
      createTelegramAlertSink({ botToken: bad, chatId: 1 });
    } catch (e) {
      error = e;
    }
    expect(InvalidConfigError.isInstance(error)).toBe(true);
    expect(canaryCheck([bad], error)).toEqual([]);
    expect(() => createTelegramAlertSink({ botToken: BOT_TOKEN, chatId: '' })).toThrow(/chatId/);
  });
});
