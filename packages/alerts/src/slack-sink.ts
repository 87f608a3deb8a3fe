import { InvalidConfigError, type AlertSinkV1, type AlertV1 } from '@tokens/core';
import { revealInput, type BrokerHttpResponse, type SecretInput } from '@tokens/broker-utils';
import { formatAlert, type FormatAlertOptions } from './format-alert';
import { createHttpChannel, defaultVerdict, type HttpChannelSettings, type ResponseVerdict } from './http-channel';
import { charLength, isHttpUrl, truncate } from './text';

export interface SlackAlertSinkSettings extends HttpChannelSettings, FormatAlertOptions {
  /** Incoming webhook URL, "https://hooks.slack.com/services/T…/B…/…". A secret: it embeds the token. */
  webhookUrl: SecretInput;
  /** Sink name in status and metrics. Default "slack". */
  name?: string;
}

/** Slack mrkdwn needs only these three escaped; used for the notification fallback. */
function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The Block Kit payload: a header, the message as plain text (so `*`, `_` and `~` show as
 * written), details in a context block and an actions block with the button.
 */
export function slackPayload(alert: AlertV1, options: FormatAlertOptions = {}): Record<string, unknown> {
  const f = formatAlert(alert, options);
  // `emoji: false` keeps ":word:" in messages literal; the Unicode emoji still show.
  // Header blocks hold 150 characters; a longer title moves into the section in full.
  const fits = charLength(f.headline) <= 150;
  const body = fits ? f.message : `${f.title}\n\n${f.message}`;
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(f.headline, 150), emoji: false } },
    { type: 'section', text: { type: 'plain_text', text: truncate(body, 3000), emoji: false } },
  ];
  if (f.details.length > 0) {
    blocks.push({ type: 'context', elements: f.details.slice(0, 10).map((d) => ({ type: 'plain_text', text: truncate(d, 2000), emoji: false })) });
  }
  if (f.action && isHttpUrl(f.action.url) && f.action.url.length <= 3000) {
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: truncate(f.action.label, 75), emoji: false },
          url: f.action.url,
          action_id: 'tokens-alert-action',
          style: alert.severity === 'critical' ? 'danger' : 'primary',
        },
      ],
    });
  } else if (f.action) {
    blocks.push({ type: 'section', text: { type: 'plain_text', text: truncate(`${f.action.label}: ${f.action.url}`, 3000) } });
  }
  return {
    // Shown in notifications and by clients that cannot render blocks.
    text: escapeSlack(truncate(`${f.headline}: ${f.message}`, 3000)),
    blocks,
    unfurl_links: false,
    unfurl_media: false,
  };
}

/** Sends alerts to a Slack channel through an incoming webhook, as Block Kit with a button. */
export function createSlackAlertSink(settings: SlackAlertSinkSettings): AlertSinkV1 {
  const name = settings.name ?? 'slack';
  const url = revealInput(settings.webhookUrl ?? '').trim();
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    throw new InvalidConfigError({
      issues: [{ path: 'webhookUrl', message: 'is missing or not an http(s) URL; create an incoming webhook in your Slack app (Features → Incoming Webhooks) and paste its URL' }],
    });
  }
  const channel = createHttpChannel({ ...settings, name, service: 'Slack', url, secrets: [url] });
  const fix =
    'Fix `webhookUrl`: the webhook was revoked or its channel archived; add a new one in your Slack app (Features → Incoming Webhooks).';

  const classify = (response: BrokerHttpResponse): ResponseVerdict => {
    // Slack answers with a short code such as "invalid_token", "no_service" or "channel_is_archived".
    const detail = channel.quote(response.bodyText);
    if (response.status === 400) {
      return {
        code: 'ALERT_MESSAGE_REJECTED',
        message: `Slack refused the message (HTTP 400${detail ? `: ${detail}` : ''}). This is likely a bug in @tokens/alerts; please report it with this message.`,
        isRetryable: false,
      };
    }
    return defaultVerdict('Slack', response.status, detail, fix);
  };

  return {
    specificationVersion: 'v1',
    name,
    async send(alert, options) {
      await channel.post(slackPayload(alert, settings), { signal: options?.signal, classify });
    },
  };
}
