import { afterEach, describe, expect, it } from 'vitest';
import { InvalidConfigError } from '@tokens/core';
import { createFakeClock } from '@tokens/core/testing';
import { canaryCheck } from '@tokens/test-suite';
import { AlertDeliveryError, createDiscordAlertSink, createSlackAlertSink, escapeDiscord } from '../src/index';
import { loginAlert } from './helpers/alerts';
import { DISCORD_PATH, discordHarness, SLACK_PATH, slackHarness, type Harness } from './helpers/harnesses';
import type { HttpReceiver } from './helpers/receivers';

let h: Harness<HttpReceiver> | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function rejection(p: Promise<unknown>, canaries: string[]): Promise<AlertDeliveryError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(AlertDeliveryError.isInstance(error), `an AlertDeliveryError, got ${String(error)}`).toBe(true);
  expect(canaryCheck(canaries, error)).toEqual([]);
  return error as AlertDeliveryError;
}

describe('slack', () => {
  it('posts Block Kit to the webhook: header, plain-text section, context, a button', async () => {
    h = await slackHarness();
    await h.sink.send(loginAlert());
    const [call] = h.receiver.calls;
    expect(call!.method).toBe('POST');
    expect(call!.path).toBe(SLACK_PATH);
    expect(call!.headers['content-type']).toBe('application/json');
    expect(call!.json).toEqual({
      text: '🔑 schwab-main (schwab): human login needed: The refresh token was revoked. Automatic renewal has stopped until someone logs in.',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: '🔑 schwab-main (schwab): human login needed', emoji: false } },
        {
          type: 'section',
          text: { type: 'plain_text', text: 'The refresh token was revoked. Automatic renewal has stopped until someone logs in.', emoji: false },
        },
        {
          type: 'context',
          elements: [
            { type: 'plain_text', text: 'Bots stop: Mon 09:30 ET', emoji: false },
            { type: 'plain_text', text: 'What to do: Tap the login link below; renewal resumes on its own afterwards.', emoji: false },
            { type: 'plain_text', text: 'Account: schwab-main · schwab', emoji: false },
          ],
        },
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              text: { type: 'plain_text', text: 'Log in', emoji: false },
              url: 'https://tokens.example.com/login/schwab-main?s=v1.abc.def',
              action_id: 'tokens-alert-action',
              style: 'danger',
            },
          ],
        },
      ],
      unfurl_links: false,
      unfurl_media: false,
    });
  });

  it('escapes &, < and > in the fallback text and moves an over-long title into the section', async () => {
    h = await slackHarness();
    const title = `<!channel> & ${'t'.repeat(160)}`;
    await h.sink.send(loginAlert({ title, action: undefined }));
    const json = h.receiver.calls[0]!.json as { text: string; blocks: Array<{ type: string; text?: { text: string } }> };
    expect(json.text.startsWith('🔑 &lt;!channel&gt; &amp; ttt')).toBe(true);
    expect(Array.from(json.blocks[0]!.text!.text)).toHaveLength(150);
    expect(json.blocks[1]!.text!.text.startsWith(`${title}\n\n`)).toBe(true);
    expect(json.blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it('a revoked webhook is not retryable, names the fix, and never shows the URL', async () => {
    h = await slackHarness();
    h.receiver.replyWith({ status: 404, text: 'no_service' });
    const error = await rejection(h.sink.send(loginAlert()), [SLACK_PATH, 'slackCanaryWebhookTokenQ7x']);
    expect(error).toMatchObject({ code: 'ALERT_CHANNEL_REJECTED', isRetryable: false, statusCode: 404 });
    expect(error.message).toBe(
      'Slack refused the alert (HTTP 404: no_service). Fix `webhookUrl`: the webhook was revoked or its channel archived; add a new one in your Slack app (Features → Incoming Webhooks).',
    );
  });

  it('429 honours Retry-After; a 400 is reported as our bug, not retried', async () => {
    const clock = createFakeClock();
    h = await slackHarness({ clock });
    h.receiver.replyWith({ status: 429, text: 'rate_limited', headers: { 'retry-after': '30' } }, { status: 400, text: 'invalid_blocks' });
    expect(await rejection(h.sink.send(loginAlert()), [SLACK_PATH])).toMatchObject({ code: 'ALERT_RATE_LIMITED', isRetryable: true, retryAfterMs: 30_000 });
    await clock.advance(30_000);
    const error = await rejection(h.sink.send(loginAlert()), [SLACK_PATH]);
    expect(error).toMatchObject({ code: 'ALERT_MESSAGE_REJECTED', isRetryable: false });
    expect(error.message).toContain('invalid_blocks');
  });

  it('refuses a missing webhook URL at start-up', () => {
    expect(() => createSlackAlertSink({ webhookUrl: '' })).toThrow(InvalidConfigError);
  });
});

describe('discord', () => {
  it('posts one embed with wait=true: escaped markdown, colour by severity, the link on the title', async () => {
    h = await discordHarness({ username: 'tokens' });
    await h.sink.send(loginAlert({ message: 'Refresh *failed* for _acct_ @everyone' }));
    const [call] = h.receiver.calls;
    expect(call!.method).toBe('POST');
    expect(call!.path).toBe(DISCORD_PATH);
    expect(call!.query).toEqual({ wait: 'true' });
    expect(call!.json).toEqual({
      username: 'tokens',
      allowed_mentions: { parse: [] },
      embeds: [
        {
          title: '🔑 schwab\\-main \\(schwab\\)\\: human login needed',
          description: [
            'Refresh \\*failed\\* for \\_acct\\_ \\@everyone',
            '',
            '*Bots stop\\: Mon 09\\:30 ET*',
            '*What to do\\: Tap the login link below; renewal resumes on its own afterwards.*',
            '*Account\\: schwab\\-main · schwab*',
            '',
            '**[Log in](https://tokens.example.com/login/schwab-main?s=v1.abc.def)**',
          ].join('\n'),
          color: 0xe74c3c,
          url: 'https://tokens.example.com/login/schwab-main?s=v1.abc.def',
          timestamp: '2026-01-05T14:00:00.000Z',
        },
      ],
    });
  });

  it('colours warnings amber and recoveries green', async () => {
    h = await discordHarness();
    await h.sink.send(loginAlert({ severity: 'warning', kind: 'deadline' }));
    await h.sink.send(loginAlert({ severity: 'info', kind: 'refresh_recovered', action: undefined }));
    const colours = h.receiver.calls.map((c) => (c.json as { embeds: Array<{ color: number; url?: string }> }).embeds[0]!);
    expect(colours.map((e) => e.color)).toEqual([0xf1c40f, 0x2ecc71]);
    expect(colours[1]!.url).toBeUndefined();
  });

  it('honours retry_after from the body; an unknown webhook is not retryable and hides its token', async () => {
    const clock = createFakeClock();
    h = await discordHarness({ clock });
    h.receiver.replyWith(
      { status: 429, body: { message: 'You are being rate limited.', retry_after: 1.5, global: false } },
      { status: 404, body: { message: 'Unknown Webhook', code: 10015 } },
    );
    expect(await rejection(h.sink.send(loginAlert()), [DISCORD_PATH])).toMatchObject({ code: 'ALERT_RATE_LIMITED', retryAfterMs: 1_500 });
    await clock.advance(1_500);
    const error = await rejection(h.sink.send(loginAlert()), [DISCORD_PATH, 'discordCanaryWebhookTokenZ3m-vRt8']);
    expect(error).toMatchObject({ code: 'ALERT_CHANNEL_REJECTED', isRetryable: false, statusCode: 404 });
    expect(error.message).toContain('Discord refused the alert (HTTP 404: Unknown Webhook). Fix `webhookUrl`');
  });

  it('escapes every markdown character it must, and nothing is lost', () => {
    const text = 'a*b_c~d`e|f>g#h-i[j]k(l)m<n@o:p\\q';
    expect(escapeDiscord(text).replace(/\\(.)/g, '$1')).toBe(text);
    expect(() => createDiscordAlertSink({ webhookUrl: 'ftp://discord.example' })).toThrow(InvalidConfigError);
  });
});
