import { InvalidConfigError, type AlertSeverityV1, type AlertSinkV1, type AlertV1 } from '@tokens/core';
import { revealInput, type BrokerHttpResponse, type SecretInput } from '@tokens/broker-utils';
import { formatAlert, type FormatAlertOptions } from './format-alert';
import { createHttpChannel, defaultVerdict, type HttpChannelSettings, type ResponseVerdict } from './http-channel';
import { isHttpUrl, truncate } from './text';

export interface DiscordAlertSinkSettings extends HttpChannelSettings, FormatAlertOptions {
  /** "https://discord.com/api/webhooks/<id>/<token>". A secret: it embeds the token. */
  webhookUrl: SecretInput;
  /** Overrides the webhook's display name. */
  username?: string;
  /** Sink name in status and metrics. Default "discord". */
  name?: string;
}

/** Embed colours: blue, amber, red; green when a session came back. */
const COLOURS: Record<AlertSeverityV1, number> = { info: 0x3498db, warning: 0xf1c40f, critical: 0xe74c3c };
const GREEN = 0x2ecc71;

/** Backslash-escapes Discord markdown so `*`, `_`, `~`, `|`, `#`, `>` and links show as written. */
export function escapeDiscord(text: string): string {
  return text.replace(/[\\*_~`|>#\-[\]()<@:]/g, '\\$&');
}

/** Percent-encodes what would end a markdown link early. */
function markdownUrl(url: string): string {
  return url.replace(/[()\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** The webhook body: one embed, coloured by severity, the title linking to the action. */
export function discordPayload(alert: AlertV1, options: FormatAlertOptions & { username?: string } = {}): Record<string, unknown> {
  const f = formatAlert(alert, options);
  const link = f.action && isHttpUrl(f.action.url) ? f.action : undefined;
  const description = [escapeDiscord(truncate(f.message, 3000))];
  if (f.details.length > 0) description.push(f.details.map((d) => `*${escapeDiscord(truncate(d, 300))}*`).join('\n'));
  if (link) description.push(`**[${escapeDiscord(truncate(link.label, 80))}](${markdownUrl(link.url)})**`);
  else if (f.action) description.push(escapeDiscord(`${f.action.label}: ${f.action.url}`));
  const recovered = alert.kind === 'refresh_recovered' || alert.kind === 'refresh_succeeded';
  const embed: Record<string, unknown> = {
    title: escapeDiscord(truncate(f.headline, 200)),
    description: truncate(description.join('\n\n'), 4096),
    color: recovered ? GREEN : COLOURS[alert.severity] ?? COLOURS.warning,
    ...(link ? { url: link.url } : {}),
    ...(Number.isFinite(alert.createdAt) ? { timestamp: new Date(alert.createdAt).toISOString() } : {}),
  };
  return {
    ...(options.username ? { username: truncate(options.username, 80) } : {}),
    // Text such as "@everyone" in a message must never ping anyone.
    allowed_mentions: { parse: [] },
    embeds: [embed],
  };
}

/** Sends alerts to a Discord channel through a channel webhook, as one coloured embed. */
export function createDiscordAlertSink(settings: DiscordAlertSinkSettings): AlertSinkV1 {
  const name = settings.name ?? 'discord';
  const raw = revealInput(settings.webhookUrl ?? '').trim();
  if (!URL.canParse(raw) || !/^https?:$/.test(new URL(raw).protocol)) {
    throw new InvalidConfigError({
      issues: [{ path: 'webhookUrl', message: 'is missing or not an http(s) URL; copy it from Server Settings → Integrations → Webhooks' }],
    });
  }
  // `wait=true` makes Discord validate the message before answering, so errors surface here.
  const target = new URL(raw);
  target.searchParams.set('wait', 'true');
  const channel = createHttpChannel({ ...settings, name, service: 'Discord', url: target.href, secrets: [raw] });

  const classify = (response: BrokerHttpResponse): ResponseVerdict => {
    let message = '';
    let retryAfterMs: number | undefined;
    try {
      const body = response.json() as { message?: unknown; retry_after?: unknown };
      if (typeof body.message === 'string') message = body.message;
      if (typeof body.retry_after === 'number') retryAfterMs = Math.ceil(body.retry_after * 1000);
    } catch {
      // not JSON (a proxy's error page): the status alone decides
    }
    const resetAfter = Number(response.headers.get('x-ratelimit-reset-after'));
    if (retryAfterMs === undefined && response.status === 429 && Number.isFinite(resetAfter) && resetAfter > 0) retryAfterMs = Math.ceil(resetAfter * 1000);
    const detail = channel.quote(message);
    if (response.status === 400) {
      return {
        code: 'ALERT_MESSAGE_REJECTED',
        message: `Discord refused the message (HTTP 400${detail ? `: ${detail}` : ''}). This is likely a bug in @tokens/alerts; please report it with this message.`,
        isRetryable: false,
      };
    }
    const verdict = defaultVerdict(
      'Discord',
      response.status,
      detail,
      'Fix `webhookUrl`: the webhook was deleted or its token is wrong; copy it again from Server Settings → Integrations → Webhooks.',
    );
    return retryAfterMs !== undefined ? { ...verdict, retryAfterMs } : verdict;
  };

  return {
    specificationVersion: 'v1',
    name,
    async send(alert, options) {
      await channel.post(discordPayload(alert, settings), { signal: options?.signal, classify });
    },
  };
}
