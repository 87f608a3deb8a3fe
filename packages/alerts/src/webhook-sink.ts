import { InvalidConfigError, type AlertSinkV1, type AlertV1 } from '@tokens/core';
import { revealInput, type BrokerHttpResponse, type SecretInput } from '@tokens/broker-utils';
import { formatAlert, type FormatAlertOptions } from './format-alert';
import { createHttpChannel, defaultVerdict, type HttpChannelSettings, type ResponseVerdict } from './http-channel';
import { signWebhookBody, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './webhook-signature';

export interface WebhookAlertSinkSettings extends HttpChannelSettings, FormatAlertOptions {
  /** The receiver's URL. Treated as a secret (many receivers put a token in the path or query). */
  url: SecretInput;
  /** Shared HMAC key for `X-Tokens-Signature`; the receiver verifies with the same value. */
  secret: SecretInput;
  /** Extra headers, e.g. `{ Authorization: new Secret('Bearer …') }`; values never appear in errors. */
  headers?: Record<string, SecretInput>;
  /** Sink name in status and metrics. Default "webhook". */
  name?: string;
}

/** What a receiver gets: the alert as the engine raised it, plus the text the other channels show. */
export interface WebhookPayload {
  event: 'alert';
  alert: AlertV1;
  text: string;
}

export function webhookPayload(alert: AlertV1, options: FormatAlertOptions = {}): WebhookPayload {
  return { event: 'alert', alert, text: formatAlert(alert, options).text };
}

/**
 * Posts each alert as JSON to any HTTPS endpoint, signed with HMAC-SHA256 so the receiver can
 * check it came from this daemon and was not replayed (see `verifyWebhookSignature`).
 */
export function createWebhookAlertSink(settings: WebhookAlertSinkSettings): AlertSinkV1 {
  const name = settings.name ?? 'webhook';
  const url = revealInput(settings.url ?? '').trim();
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    throw new InvalidConfigError({ issues: [{ path: 'url', message: 'is missing or not an http(s) URL' }] });
  }
  if (!settings.secret || revealInput(settings.secret).length === 0) {
    throw new InvalidConfigError({
      issues: [{ path: 'secret', message: 'is missing; generate one with `openssl rand -hex 32` and give the receiver the same value' }],
    });
  }
  const extraHeaders = Object.values(settings.headers ?? {});
  const channel = createHttpChannel({ ...settings, name, service: `The webhook receiver`, url, secrets: [url, settings.secret, ...extraHeaders] });
  const now = settings.clock ? () => settings.clock!.now() : () => Date.now();

  const classify = (response: BrokerHttpResponse): ResponseVerdict => {
    const s = response.status;
    // Receivers' bodies are unknown territory: only the status is quoted.
    if (s === 401 || s === 403) {
      return {
        code: 'ALERT_CHANNEL_REJECTED',
        message: `The webhook receiver at ${channel.host} refused the request (HTTP ${s}). Check that it verifies with the same \`secret\` and that its clock is within 5 minutes of ours.`,
        isRetryable: false,
      };
    }
    if (s === 404 || s === 410) {
      return {
        code: 'ALERT_CHANNEL_REJECTED',
        message: `The webhook receiver at ${channel.host} has no such endpoint (HTTP ${s}). Fix \`url\`.`,
        isRetryable: false,
      };
    }
    const verdict = defaultVerdict(`The webhook receiver at ${channel.host}`, s, '', 'Check the receiver’s logs for why it refused the alert.');
    return s >= 400 && s < 500 && verdict.code === 'ALERT_CHANNEL_REJECTED' ? { ...verdict, code: 'ALERT_MESSAGE_REJECTED' } : verdict;
  };

  return {
    specificationVersion: 'v1',
    name,
    async send(alert, options) {
      const body = JSON.stringify(webhookPayload(alert, settings));
      const timestamp = String(Math.floor(now() / 1000));
      // The client serialises `json` with JSON.stringify too; a parsed copy re-serialises to the exact signed bytes.
      await channel.post(JSON.parse(body), {
        signal: options?.signal,
        classify,
        headers: {
          ...settings.headers,
          [TIMESTAMP_HEADER]: timestamp,
          [SIGNATURE_HEADER]: signWebhookBody({ secret: settings.secret, timestamp, body }),
          'X-Tokens-Alert-Id': alert.id,
          'User-Agent': 'tokens-alerts',
        },
      });
    },
  };
}
