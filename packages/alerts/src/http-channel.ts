import { NetworkError, TokensError, type ClockV1 } from '@tokens/core';
import { createBrokerHttp, redactBody, redactMessage, retryAfterFromHeaders, type BrokerHttpResponse, type SecretInput } from '@tokens/broker-utils';
import { AlertDeliveryError } from './alert-error';
import { maskTokenLike, truncate } from './text';

/** Settings every HTTP channel shares. */
export interface HttpChannelSettings {
  /** Custom fetch (tests, proxies). Default: the global `fetch`. */
  fetch?: typeof globalThis.fetch;
  /** Time limit for one delivery, response included. Default 15 000 ms. */
  timeoutMs?: number;
  /** Clock for signatures' timestamps and `Retry-After` cool-downs. Default: the system clock. */
  clock?: Pick<ClockV1, 'now'>;
}

export interface HttpChannelOptions extends HttpChannelSettings {
  /** The sink's name, used on errors ("telegram"). */
  name: string;
  /** Human name of the service ("Telegram"). */
  service: string;
  /** Full endpoint URL; may carry secrets (webhook tokens, bot tokens). */
  url: string;
  /** Values scrubbed from every message: tokens, the webhook URL, its path. */
  secrets: readonly (SecretInput | undefined)[];
}

/** What a channel decides about a non-2xx response. */
export interface ResponseVerdict {
  code: AlertDeliveryError['code'];
  message: string;
  isRetryable: boolean;
  retryAfterMs?: number;
}

// A receiver asking for hours of silence is capped: the engine gives up long before anyway.
const MAX_COOL_DOWN_MS = 3_600_000;

const networkReasons: Record<string, string> = {
  ECONNRESET: 'the connection was reset',
  ECONNREFUSED: 'the connection was refused',
  ENOTFOUND: 'the host name could not be resolved',
  EAI_AGAIN: 'DNS lookup failed',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  UND_ERR_SOCKET: 'the connection was closed by the other side',
  UND_ERR_CONNECT_TIMEOUT: 'connecting timed out',
};

function networkReason(error: NetworkError): string {
  if (/did not answer/.test(error.message)) return 'no answer in time';
  let current: unknown = error.cause;
  for (let depth = 0; depth < 5 && current != null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return `${networkReasons[code] ?? 'network failure'} (${code})`;
    current = (current as { cause?: unknown }).cause;
  }
  return 'network failure';
}

/**
 * One endpoint that takes JSON posts. Maps transport failures and non-2xx answers to
 * `AlertDeliveryError`s whose messages never contain the URL, its path or the secrets, and
 * honours `Retry-After` by refusing sends locally until the receiver's cool-down ends.
 */
export function createHttpChannel(options: HttpChannelOptions) {
  const { name, service, url, secrets } = options;
  const now = options.clock ? () => options.clock!.now() : () => Date.now();
  const target = new URL(url);
  const http = createBrokerHttp({ broker: name, baseUrl: target.origin, fetch: options.fetch, timeoutMs: options.timeoutMs, now });
  // The path and query of a webhook URL are its credential; scrub every spelling of them.
  const segments = target.pathname.split('/').filter((seg) => seg.length >= 16 || (seg.length >= 8 && /\d/.test(seg)));
  const scrub = [...secrets, url, target.pathname + target.search, target.pathname, target.search.slice(1), ...segments].filter(
    (s): s is SecretInput => s !== undefined && (typeof s !== 'string' || s.length > 1),
  );
  let coolDownUntil = 0;

  /** Text a receiver sent back, safe to quote: secrets, long runs and JWTs removed, short. */
  const quote = (text: string): string => truncate(maskTokenLike(redactBody(text, scrub).replace(/\s+/g, ' ').trim()), 160);
  const clean = (text: string): string => redactMessage(text, scrub);

  async function post(
    json: unknown,
    o: { signal?: AbortSignal; headers?: Record<string, string | SecretInput>; classify: (response: BrokerHttpResponse) => ResponseVerdict },
  ): Promise<BrokerHttpResponse> {
    if (o.signal?.aborted) throw o.signal.reason;
    const waitMs = coolDownUntil - now();
    if (waitMs > 0) {
      throw new AlertDeliveryError({
        channel: name,
        code: 'ALERT_RATE_LIMITED',
        message: `${service} asked to wait; not sending for another ${Math.ceil(waitMs / 1000)} s.`,
        isRetryable: true,
        retryAfterMs: waitMs,
      });
    }
    let response: BrokerHttpResponse;
    try {
      response = await http.request(target.href, { method: 'POST', json, headers: o.headers, signal: o.signal, secretValues: scrub });
    } catch (error) {
      if (o.signal?.aborted) throw error;
      if (NetworkError.isInstance(error)) {
        throw new AlertDeliveryError({
          channel: name,
          code: 'ALERT_CHANNEL_UNAVAILABLE',
          message: `Could not reach ${service}: ${networkReason(error)}. Will retry.`,
          isRetryable: true,
          cause: error,
        });
      }
      const why = TokensError.isInstance(error) ? error.message : 'the request could not be sent';
      throw new AlertDeliveryError({ channel: name, code: 'ALERT_MESSAGE_REJECTED', message: clean(`Could not send to ${service}: ${why}`), isRetryable: false, cause: error });
    }
    if (response.ok) return response;
    const verdict = o.classify(response);
    const retryAfterMs = verdict.retryAfterMs ?? retryAfterFromHeaders(response.headers, response.receivedAt);
    if (retryAfterMs !== undefined && retryAfterMs > 0 && verdict.isRetryable) {
      coolDownUntil = now() + Math.min(retryAfterMs, MAX_COOL_DOWN_MS);
    }
    throw new AlertDeliveryError({
      channel: name,
      code: verdict.code,
      message: clean(verdict.message),
      isRetryable: verdict.isRetryable,
      statusCode: response.status,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }

  return { post, quote, host: target.host };
}

/** The usual reading of a status: 429 slow down, 408/5xx retry, anything else is on us or the settings. */
export function defaultVerdict(service: string, status: number, detail: string, fix: string): ResponseVerdict {
  const said = detail ? `: ${detail}` : '';
  if (status === 429) return { code: 'ALERT_RATE_LIMITED', message: `${service} is rate-limiting deliveries (HTTP 429${said}). Will retry.`, isRetryable: true };
  if (status === 408 || status === 425 || status >= 500) {
    return { code: 'ALERT_CHANNEL_UNAVAILABLE', message: `${service} answered HTTP ${status}${said}. Will retry.`, isRetryable: true };
  }
  return { code: 'ALERT_CHANNEL_REJECTED', message: `${service} refused the alert (HTTP ${status}${said}). ${fix}`, isRetryable: false };
}
