export { AlertDeliveryError, type AlertDeliveryErrorCode, type AlertDeliveryErrorOptions } from './alert-error';
export {
  ALERT_KINDS,
  describeKind,
  formatAlert,
  type AlertKindInfo,
  type FormatAlertOptions,
  type FormattedAlert,
  type KnownAlertKind,
} from './format-alert';
export type { HttpChannelSettings } from './http-channel';
export { createTelegramAlertSink, telegramHtml, type TelegramAlertSinkSettings } from './telegram-sink';
export { createSlackAlertSink, slackPayload, type SlackAlertSinkSettings } from './slack-sink';
export { createDiscordAlertSink, discordPayload, escapeDiscord, type DiscordAlertSinkSettings } from './discord-sink';
export { createWebhookAlertSink, webhookPayload, type WebhookAlertSinkSettings, type WebhookPayload } from './webhook-sink';
export {
  DEFAULT_SIGNATURE_TOLERANCE_MS,
  SIGNATURE_HEADER,
  signWebhookBody,
  TIMESTAMP_HEADER,
  verifyWebhookSignature,
  type VerifyWebhookSignatureOptions,
  type WebhookVerification,
} from './webhook-signature';
export {
  createEmailAlertSink,
  emailHtml,
  emailSubject,
  type EmailAlertSinkSettings,
  type MailTransport,
  type SmtpSettings,
} from './email-sink';
export { alertLogLine, createFileAlertSink, type AlertFileSystem, type FileAlertSinkSettings } from './file-sink';
export { matchesRoute, routeAlerts, type AlertRoute, type RoutedAlertSink, type RouteStats } from './route-alerts';
export { createLoginLinks, type LoginLinkResult, type LoginLinks, type LoginLinksSettings } from './login-links';
export { assertStateSecret, MIN_STATE_SECRET_LENGTH, signState, verifyState, type StateCheck, type StateClaims } from './signed-state';
export { createMemoryNonceStore, type MemoryNonceStore, type UsedNonceStore } from './nonce-store';
