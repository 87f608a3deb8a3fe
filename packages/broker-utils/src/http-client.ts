import { BrokerApiError, InvalidConfigError, InvalidInputError, isRetryableStatus, NetworkError, TokensError, type SecretValue } from '@tokens/core';
import { isSensitiveFieldName, redactBody, redactMessage } from './redact';
import { isSecretValue, type SecretInput } from './secret-input';
import { withoutTrailingSlash } from './load-setting';
import { defaultTransport, fetchTransport, type TransportResponse } from './http-transport';

/** Default time limit for one request, response body included. */
export const DEFAULT_TIMEOUT_MS = 15_000;

/** A header, query or form value. `SecretValue`s are revealed only when sent, and redacted from every error. */
export type HttpValue = string | number | boolean | SecretValue | undefined;

export interface BrokerHttpSettings {
  /** Broker id used in error messages and on errors, e.g. "fyers". */
  broker: string;
  /** Prefix for relative request paths, e.g. "https://api-t1.fyers.in/api/v3". */
  baseUrl: string;
  /**
   * Custom fetch (tests, proxies, instrumentation), called as `fetch(url: URL, init)`. Without
   * one, requests go over node:http(s) with keep-alive, or through Node's `fetch` when a
   * non-default undici dispatcher (ProxyAgent, EnvHttpProxyAgent, MockAgent) is installed.
   */
  fetch?: typeof globalThis.fetch;
  /** Time limit per request including reading the body. Default 15 000 ms. */
  timeoutMs?: number;
  /** Headers sent with every request. Values of credential headers are redacted from errors. */
  headers?: Record<string, HttpValue>;
  /** Clock for `receivedAt` (and so for HTTP-date `Retry-After`). Default `Date.now`. */
  now?: () => number;
  /**
   * Redirect handling. Default `'manual'`: a 3xx comes back as a response, so broker-specific
   * credential headers (`access-token`, `Auth`, `sid`) are never forwarded to another host.
   */
  redirect?: 'manual' | 'follow';
}

export interface BrokerRequestOptions {
  /** Default `GET`. */
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | (string & {});
  /** JSON body. `SecretValue`s anywhere inside are revealed in the sent body and redacted from errors. */
  json?: unknown;
  /** `application/x-www-form-urlencoded` body. */
  form?: Record<string, HttpValue> | URLSearchParams;
  /** Query parameters, appended to the URL. Never shown in error messages. */
  query?: Record<string, HttpValue>;
  headers?: Record<string, HttpValue>;
  signal?: AbortSignal;
  /** Extra values to remove from error messages and bodies (values that are not already `SecretValue`s). */
  secretValues?: readonly (SecretInput | undefined)[];
  /** Overrides the client's time limit for this request. */
  timeoutMs?: number;
}

/** A fully read response. The body is read once, as text, within the time limit. */
export interface BrokerHttpResponse {
  readonly broker: string;
  readonly status: number;
  /** True for 2xx. */
  readonly ok: boolean;
  readonly headers: Headers;
  readonly bodyText: string;
  /** `METHOD path` of the request, without query string: safe for messages. */
  readonly requestLabel: string;
  /** Epoch ms when the headers arrived, from the client's clock. */
  readonly receivedAt: number;
  /** Parses `bodyText`; throws a `BrokerApiError` ("not JSON") with a redacted body otherwise. */
  json(): unknown;
  /** `bodyText` with this request's secrets and token fields removed, truncated to ~2 KB. */
  redactedBody(extraSecrets?: readonly (SecretInput | undefined)[]): string;
  /** Removes this request's secrets (and URL queries) from a message about it. */
  redactText(text: string, extraSecrets?: readonly (SecretInput | undefined)[]): string;
}

export interface BrokerHttp {
  readonly broker: string;
  readonly baseUrl: string;
  /**
   * Sends one request and reads the whole body. Never throws for an HTTP status: classify the
   * response with `brokerApiErrorFromResponse`. Throws `NetworkError` (retryable) when the broker
   * cannot be reached or does not answer in time, and re-throws the abort reason when the
   * caller's `signal` aborts.
   */
  request(path: string, options?: BrokerRequestOptions): Promise<BrokerHttpResponse>;
}

// Header names whose values are credentials even when passed as plain strings.
// (`app_id` is Dhan's API key header; names ending in "token"/"secret", `Authorization`, `Auth` and `sid` are covered by isSensitiveFieldName.)
const credentialHeaders = new Set(['x-api-key', 'api-key', 'apikey', 'app_id', 'app-id']);

function isCredentialHeader(name: string): boolean {
  return isSensitiveFieldName(name) || credentialHeaders.has(name.toLowerCase());
}

/**
 * Creates the HTTP client a broker adapter uses: one request per call (see http-transport.ts),
 * no retries (the engine retries) and no throwing on HTTP statuses (the adapter classifies).
 * No wrapper such as ky: a wrapper's Request clone and body tee per call cost the daemon about
 * a quarter of its CPU per refresh (docs/benchmarks.md), for features we switch off.
 */
export function createBrokerHttp(settings: BrokerHttpSettings): BrokerHttp {
  const { broker } = settings;
  const baseUrl = withoutTrailingSlash(settings.baseUrl);
  if (!/^https?:\/\/[^/?#\s]+/i.test(baseUrl) || !URL.canParse(baseUrl)) {
    throw new InvalidConfigError({
      message: `${broker} base URL must be an absolute http(s) URL such as "https://api.example.com/v1".`,
      issues: [{ path: 'baseUrl', message: 'must be an absolute http(s) URL' }],
    });
  }
  const now = settings.now ?? (() => Date.now());
  const custom = settings.fetch;
  const transport = custom ? fetchTransport(() => custom) : defaultTransport;
  const redirect = settings.redirect ?? 'manual';

  async function request(path: string, options: BrokerRequestOptions = {}): Promise<BrokerHttpResponse> {
    const method = (options.method ?? 'GET').toUpperCase();
    const secrets: string[] = [];
    const keep = (value: string) => {
      if (value.length > 0) secrets.push(value);
    };
    for (const s of options.secretValues ?? []) {
      if (s !== undefined) keep(typeof s === 'string' ? s : s.reveal());
    }

    if (options.json !== undefined && options.form !== undefined) {
      throw new InvalidInputError({ message: 'Pass either `json` or `form` for one request, not both.', field: 'form' });
    }
    const url = resolveUrl(broker, baseUrl, path);
    const requestLabel = redactMessage(`${method} ${describeUrl(url, baseUrl)}`, secrets);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      const text = toText(value, isCredentialHeader(name), keep);
      if (text !== undefined) url.searchParams.append(name, text);
    }

    const headers = new Headers();
    for (const source of [settings.headers, options.headers]) {
      for (const [name, value] of Object.entries(source ?? {})) {
        const text = toText(value, isCredentialHeader(name), keep);
        if (text === undefined) continue;
        try {
          headers.set(name, text);
        } catch {
          // The platform's error quotes the value; say which header instead.
          const shown = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/.test(name) ? `"${name}"` : 'with an invalid name';
          throw new InvalidInputError({
            message: `Cannot send ${requestLabel} to ${broker}: header ${shown} has an invalid name or value (line breaks or non-Latin-1 characters).`,
            field: 'headers',
          });
        }
      }
    }

    let body: URLSearchParams | undefined;
    if (options.form !== undefined) {
      body = new URLSearchParams();
      const entries = options.form instanceof URLSearchParams ? [...options.form] : Object.entries(options.form);
      for (const [name, value] of entries) {
        const text = toText(value, isSensitiveFieldName(name), keep);
        if (text !== undefined) body.append(name, text);
      }
    }
    const json = options.json === undefined ? undefined : revealDeep(options.json, keep);

    const timeoutMs = options.timeoutMs ?? settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const callerSignal = options.signal;
    if (callerSignal?.aborted) throw abortError(callerSignal);
    // One controller for both ends of the request: the deadline and the caller's signal
    // (AbortSignal.any costs a new signal with weak references per request).
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const onCallerAbort = () => deadline.abort(callerSignal?.reason);
    callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    const signal = deadline.signal;

    try {
      let payload: string | URLSearchParams | undefined = body;
      if (json !== undefined) {
        payload = JSON.stringify(json);
        if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      }
      // Our own deadline (above) covers reading the body too.
      const response = await transport(url, { method, headers, ...(payload === undefined ? {} : { body: payload }), signal, redirect });
      const receivedAt = now();
      const bodyText = method === 'HEAD' ? '' : await response.text();
      return createResponse({ broker, response, bodyText, requestLabel, receivedAt, secrets });
    } catch (error) {
      if (callerSignal?.aborted) throw abortError(callerSignal);
      if (deadline.signal.aborted) {
        throw new NetworkError({
          broker,
          message: `${broker} did not answer ${requestLabel} within ${timeoutMs} ms.`,
          cause: sanitizeError(error, secrets),
        });
      }
      throw transportError(error, broker, requestLabel, secrets);
    } finally {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
    }
  }

  return { broker, baseUrl, request };
}

function resolveUrl(broker: string, baseUrl: string, path: string): URL {
  try {
    if (/^https?:\/\//i.test(path)) return new URL(path);
    return new URL(`${baseUrl}${path.startsWith('/') ? '' : '/'}${path}`);
  } catch {
    // URL's own error quotes the input, which may carry credentials.
    throw new InvalidInputError({ message: `Cannot build a valid ${broker} request URL: check the base URL and the request path.`, field: 'baseUrl' });
  }
}

/** Path only for the client's own host; origin + path for any other host. Never the query. */
function describeUrl(url: URL, baseUrl: string): string {
  let base: URL | undefined;
  try {
    base = new URL(baseUrl);
  } catch {
    base = undefined;
  }
  return base && base.origin === url.origin ? url.pathname : `${url.origin}${url.pathname}`;
}

function toText(value: HttpValue, sensitive: boolean, keep: (v: string) => void): string | undefined {
  if (value === undefined) return undefined;
  if (isSecretValue(value)) {
    const raw = value.reveal();
    keep(raw);
    return raw;
  }
  const text = String(value);
  if (sensitive) keep(text);
  return text;
}

/** Copies plain objects and arrays, revealing `SecretValue`s (JSON.stringify would send "[redacted]"). */
function revealDeep(value: unknown, keep: (v: string) => void, key?: string): unknown {
  if (isSecretValue(value)) {
    const raw = value.reveal();
    keep(raw);
    return raw;
  }
  if (Array.isArray(value)) return value.map((v) => revealDeep(v, keep, key));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = revealDeep(v, keep, k);
    return out;
  }
  if (key !== undefined && isSensitiveFieldName(key) && (typeof value === 'string' || typeof value === 'number')) {
    keep(String(value));
  }
  return value;
}

function createResponse(o: {
  broker: string;
  response: TransportResponse;
  bodyText: string;
  requestLabel: string;
  receivedAt: number;
  secrets: readonly string[];
}): BrokerHttpResponse {
  const { broker, response, bodyText, requestLabel, receivedAt, secrets } = o;
  const redactedBody = (extra: readonly (SecretInput | undefined)[] = []) => redactBody(bodyText, [...secrets, ...extra]);
  const redactText = (text: string, extra: readonly (SecretInput | undefined)[] = []) => redactMessage(text, [...secrets, ...extra]);
  let parsed: { value: unknown } | undefined;
  return {
    broker,
    status: response.status,
    ok: response.status >= 200 && response.status < 300,
    headers: response.headers,
    bodyText,
    requestLabel,
    receivedAt,
    redactedBody,
    redactText,
    json() {
      if (parsed) return parsed.value;
      try {
        parsed = { value: JSON.parse(bodyText) as unknown };
      } catch {
        throw new BrokerApiError({
          broker,
          message: `${broker} answered ${requestLabel} with HTTP ${response.status} and a body that is not JSON.`,
          statusCode: response.status,
          responseBody: redactedBody(),
          isAuthError: false,
          isRetryable: isRetryableStatus(response.status),
        });
      }
      return parsed.value;
    },
  };
}

/** What the caller's signal aborted with, or a standard AbortError. */
function abortError(signal: AbortSignal): unknown {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return new DOMException('The operation was aborted.', 'AbortError');
}

const reasons: Record<string, string> = {
  ECONNRESET: 'the connection was reset',
  ECONNREFUSED: 'the connection was refused',
  ECONNABORTED: 'the connection was aborted',
  EPIPE: 'the connection was closed while sending',
  ENOTFOUND: 'the host name could not be resolved',
  EAI_AGAIN: 'DNS lookup failed temporarily',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  ENETDOWN: 'the network is down',
  UND_ERR_SOCKET: 'the connection was closed by the other side',
  UND_ERR_CLOSED: 'the connection was closed',
  UND_ERR_CONNECT_TIMEOUT: 'connecting timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
  UND_ERR_BODY_TIMEOUT: 'the response body stalled',
  ERR_BODY_DECODE: 'the response body could not be decompressed',
};

function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current != null && typeof current === 'object'; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

function transportError(error: unknown, broker: string, requestLabel: string, secrets: readonly string[]): Error {
  const codes = errorCodes(error);
  const known = codes.find((c) => c in reasons);
  const isFetchFailure =
    error instanceof TypeError && /^(fetch failed|terminated|network error|failed to fetch)/i.test(error.message);
  if (known !== undefined || isFetchFailure || codes.some((c) => c.startsWith('UND_ERR_') || c.startsWith('ERR_SSL') || c.includes('CERT'))) {
    const why = known !== undefined ? `${reasons[known]} (${known})` : codes[0] !== undefined ? `network failure (${codes[0]})` : 'network failure';
    return new NetworkError({
      broker,
      message: `Could not reach ${broker} for ${requestLabel}: ${why}.`,
      cause: sanitizeError(error, secrets),
    });
  }
  // Anything else (an invalid header value, a custom fetch that threw) is not a network failure;
  // its message may quote what was sent, so it is redacted and not retried.
  const safe = sanitizeError(error, secrets);
  return new TokensError({
    code: 'HTTP_CLIENT_ERROR',
    message: `Could not send ${requestLabel} to ${broker}: ${safe.message}`,
    isRetryable: false,
    cause: safe,
  });
}

/**
 * A copy of a foreign error that is safe to keep as `cause`: name, code and stack frames stay;
 * messages lose secrets and URL queries; request/response objects (ky's errors carry them)
 * are dropped.
 */
function sanitizeError(error: unknown, secrets: readonly string[], depth = 0): Error {
  const source = error instanceof Error ? error : undefined;
  const message = source ? redactMessage(source.message, secrets) : 'non-error value thrown';
  const safe = new Error(message);
  safe.name = source?.name ?? 'Error';
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') (safe as Error & { code?: string }).code = code;
  const frames = source?.stack?.split('\n').filter((line) => line.startsWith('    at ')) ?? [];
  safe.stack = [`${safe.name}: ${message}`, ...frames].join('\n');
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (cause !== undefined && depth < 3) {
    Object.defineProperty(safe, 'cause', { value: sanitizeError(cause, secrets, depth + 1), enumerable: false, configurable: true, writable: true });
  }
  return safe;
}
