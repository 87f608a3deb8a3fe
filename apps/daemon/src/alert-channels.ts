import {
  createDiscordAlertSink,
  createEmailAlertSink,
  createFileAlertSink,
  createSlackAlertSink,
  createTelegramAlertSink,
  createWebhookAlertSink,
  routeAlerts,
} from '@tokens/alerts';
import { Secret, type AlertSinkV1, type ClockV1 } from '@tokens/core';
import type { AlertChannelConfig } from './config/schema';

/** Builds one alert channel from config, wrapped in its routing rules. Secrets become Secrets. */
export function createAlertChannel(config: AlertChannelConfig, clock: ClockV1, fetchImpl?: typeof fetch): AlertSinkV1 {
  const f = fetchImpl ? { fetch: fetchImpl } : {};
  let sink: AlertSinkV1;
  switch (config.type) {
    case 'telegram':
      sink = createTelegramAlertSink({ botToken: new Secret(config.botToken), chatId: config.chatId, ...(config.baseUrl ? { baseUrl: config.baseUrl } : {}), ...f });
      break;
    case 'slack':
      sink = createSlackAlertSink({ webhookUrl: new Secret(config.webhookUrl), ...f });
      break;
    case 'discord':
      sink = createDiscordAlertSink({ webhookUrl: new Secret(config.webhookUrl), ...f });
      break;
    case 'webhook':
      sink = createWebhookAlertSink({ url: new Secret(config.url), secret: new Secret(config.secret), ...f });
      break;
    case 'email':
      sink = createEmailAlertSink({
        smtp: {
          host: config.smtp.host,
          port: config.smtp.port,
          ...(config.smtp.secure !== undefined ? { secure: config.smtp.secure } : {}),
          ...(config.smtp.user ? { auth: { user: config.smtp.user, pass: new Secret(config.smtp.password ?? '') } } : {}),
        },
        from: config.from,
        to: config.to,
      });
      break;
    case 'file':
      sink = createFileAlertSink({ path: config.path });
      break;
  }
  return routeAlerts(sink, {
    ...(config.minSeverity ? { minSeverity: config.minSeverity } : {}),
    ...(config.accounts ? { accounts: config.accounts } : {}),
    ...(config.kinds ? { kinds: config.kinds } : {}),
    ...(config.excludeKinds ? { excludeKinds: config.excludeKinds } : {}),
    ...(config.rateLimit ? { rateLimit: { perKeyMs: config.rateLimit.perKey } } : {}),
    clock,
  });
}
