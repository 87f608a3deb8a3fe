import { InvalidConfigError, type AlertSinkV1, type AlertV1 } from '@tokens/core';
import { revealInput, withoutTrailingSlash, type BrokerHttpResponse, type SecretInput } from '@tokens/broker-utils';
import { formatAlert, type FormatAlertOptions } from './format-alert';
import { createHttpChannel, defaultVerdict, type HttpChannelSettings, type ResponseVerdict } from './http-channel';
import { escapeHtml, isHttpUrl, isLocalUrl, truncate } from './text';

export interface TelegramAlertSinkSettings extends HttpChannelSettings, FormatAlertOptions {
  /** From @BotFather, "123456789:AA…". A secret: it sits in the request path and never in errors. */
  botToken: SecretInput;
  /** User, group ("-100…" for supergroups and channels) or "@channelusername". */
  chatId: string | number;
  /** Forum topic to post into, for groups with topics. */
  messageThreadId?: number;
  /** Bot API server. Default "https://api.telegram.org" (set it for a local Bot API server or tests). */
  baseUrl?: string;
  /** Deliver info alerts without a notification sound. Default true. */
  silentInfo?: boolean;
  /** Sink name in status and metrics. Default "telegram". */
  name?: string;
}

// Telegram's limit is 4096 characters after entity parsing; leave room for the markup.
const MAX_MESSAGE = 3500;

/** The HTML message: bold headline, the message, details in italics, the link. */
export function telegramHtml(alert: AlertV1, options: FormatAlertOptions = {}): string {
  const f = formatAlert(alert, options);
  const parts = [`<b>${escapeHtml(f.headline)}</b>`, escapeHtml(truncate(f.message, MAX_MESSAGE))];
  if (f.details.length > 0) parts.push(f.details.map((d) => `<i>${escapeHtml(d)}</i>`).join('\n'));
  if (f.action) {
    parts.push(
      isHttpUrl(f.action.url)
        ? `👉 <a href="${escapeHtml(f.action.url)}">${escapeHtml(f.action.label)}</a>`
        : `${escapeHtml(f.action.label)}: ${escapeHtml(f.action.url)}`,
    );
  }
  return parts.join('\n\n');
}

function readTelegramError(response: BrokerHttpResponse): { description: string; retryAfterMs?: number } {
  try {
    const body = response.json() as { description?: unknown; parameters?: { retry_after?: unknown } };
    const retry = body.parameters?.retry_after;
    return {
      description: typeof body.description === 'string' ? body.description : '',
      ...(typeof retry === 'number' && retry >= 0 ? { retryAfterMs: retry * 1000 } : {}),
    };
  } catch {
    return { description: '' };
  }
}

/**
 * Sends alerts to a Telegram chat through the Bot API `sendMessage`, as HTML with an inline
 * "Log in" button when the alert carries a link.
 */
export function createTelegramAlertSink(settings: TelegramAlertSinkSettings): AlertSinkV1 {
  const name = settings.name ?? 'telegram';
  const token = revealInput(settings.botToken ?? '').trim();
  if (!/^\d+:[A-Za-z0-9_-]+$/.test(token)) {
    // Never quote the value: it may be a real token pasted with a typo.
    throw new InvalidConfigError({
      issues: [{ path: 'botToken', message: 'is missing or does not look like a Telegram bot token ("<digits>:<letters>"); get one from @BotFather with /newbot' }],
    });
  }
  const chatId = settings.chatId;
  if (chatId === undefined || chatId === null || String(chatId).trim() === '') {
    throw new InvalidConfigError({ issues: [{ path: 'chatId', message: 'is missing; see the README for how to find the chat id' }] });
  }
  const baseUrl = withoutTrailingSlash(settings.baseUrl ?? 'https://api.telegram.org');
  const channel = createHttpChannel({
    ...settings,
    name,
    service: 'Telegram',
    url: `${baseUrl}/bot${token}/sendMessage`,
    secrets: [token, `bot${token}`],
  });

  const classify = (response: BrokerHttpResponse): ResponseVerdict => {
    const { description, retryAfterMs } = readTelegramError(response);
    const detail = channel.quote(description);
    const status = response.status;
    if (status === 401 || status === 404) {
      return {
        code: 'ALERT_CHANNEL_REJECTED',
        message: `Telegram rejected the bot token (HTTP ${status}${detail ? `: ${detail}` : ''}). Fix \`botToken\`: copy it again from @BotFather (/mybots → API Token).`,
        isRetryable: false,
      };
    }
    if (status === 400 && /chat not found|chat_id is empty|peer_id_invalid/i.test(description)) {
      return {
        code: 'ALERT_CHANNEL_REJECTED',
        message: `Telegram cannot find chat ${String(chatId)} (HTTP 400: ${detail}). Fix \`chatId\`: send /start to the bot (or add it to the group), then read the id from getUpdates.`,
        isRetryable: false,
      };
    }
    if (status === 403) {
      return {
        code: 'ALERT_CHANNEL_REJECTED',
        message: `Telegram refused delivery to chat ${String(chatId)} (HTTP 403: ${detail}). Unblock the bot, or add it back to the group or channel (as an admin for channels).`,
        isRetryable: false,
      };
    }
    const verdict = defaultVerdict('Telegram', status, detail, 'This is likely a bug in @tokens/alerts; please report it with this message.');
    return retryAfterMs !== undefined ? { ...verdict, retryAfterMs } : verdict;
  };

  return {
    specificationVersion: 'v1',
    name,
    async send(alert, options) {
      const action = alert.action;
      // Telegram rejects the whole message when a button points at localhost; the text link stays.
      const button = action && isHttpUrl(action.url) && !isLocalUrl(action.url);
      await channel.post(
        {
          chat_id: chatId,
          ...(settings.messageThreadId !== undefined ? { message_thread_id: settings.messageThreadId } : {}),
          text: telegramHtml(alert, settings),
          parse_mode: 'HTML',
          // Previews make Telegram's servers fetch the one-tap login link; keep them off.
          link_preview_options: { is_disabled: true },
          disable_notification: alert.severity === 'info' && (settings.silentInfo ?? true),
          ...(button ? { reply_markup: { inline_keyboard: [[{ text: truncate(action.label || 'Open', 64), url: action.url }]] } } : {}),
        },
        { signal: options?.signal, classify },
      );
    },
  };
}
