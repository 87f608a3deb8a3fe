import { describeCause, TokensClientError } from './errors';

export interface HttpApi {
  readonly url: string;
  json(method: 'GET' | 'POST', path: string, options?: { body?: unknown; signal?: AbortSignal; timeoutMs?: number }): Promise<unknown>;
  /** Opens the SSE stream; resolves once the daemon answered 200. */
  events(signal: AbortSignal, lastEventId: string | undefined): Promise<Response>;
}

/** Anything that went wrong before an answer arrived → DAEMON_UNAVAILABLE or TIMEOUT. */
export function transportError(error: unknown, where: string, timeoutMs: number): TokensClientError {
  if (TokensClientError.isInstance(error)) return error;
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError') {
    return new TokensClientError({ code: 'TIMEOUT', message: `The daemon at ${where} did not answer within ${timeoutMs} ms.`, isRetryable: true, cause: error });
  }
  return new TokensClientError({ code: 'DAEMON_UNAVAILABLE', message: `The daemon at ${where} is unreachable (${describeCause(error)}).`, isRetryable: true, cause: error });
}

export function errorFromStatus(status: number, body: unknown, where: string): TokensClientError {
  const e = (body as { error?: { code?: unknown; message?: unknown; isRetryable?: unknown; needsHuman?: unknown } } | null)?.error;
  if (status === 401) {
    return new TokensClientError({ code: 'UNAUTHORIZED', message: `The daemon at ${where} refused the API token (401). Use http.apiToken or <store dir>/api-token.`, isRetryable: false, needsHuman: true, status });
  }
  if (e && typeof e.code === 'string') {
    return new TokensClientError({
      code: e.code,
      message: typeof e.message === 'string' ? e.message : `The daemon answered ${status} ${e.code}.`,
      isRetryable: typeof e.isRetryable === 'boolean' ? e.isRetryable : status >= 500,
      needsHuman: e.needsHuman === true,
      status,
    });
  }
  return new TokensClientError({ code: 'BAD_RESPONSE', message: `The daemon at ${where} answered HTTP ${status} without an error body.`, isRetryable: status >= 500 || status === 429, status });
}

export function createHttpApi(o: { url: string; apiToken: string; fetch: typeof fetch; timeoutMs: number; closed: AbortSignal }): HttpApi {
  const base = o.url.replace(/\/+$/, '');
  const auth = `Bearer ${o.apiToken}`;
  return {
    url: base,
    async json(method, path, options = {}) {
      const timeoutMs = options.timeoutMs ?? o.timeoutMs;
      const signals = [o.closed, AbortSignal.timeout(timeoutMs)];
      if (options.signal) signals.push(options.signal);
      let response: Response;
      let text: string;
      try {
        response = await o.fetch(`${base}${path}`, {
          method,
          headers: { authorization: auth, accept: 'application/json', ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
          signal: AbortSignal.any(signals),
        });
        text = await response.text();
      } catch (error) {
        throw transportError(error, base, timeoutMs);
      }
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        if (!response.ok) throw errorFromStatus(response.status, undefined, base);
        throw new TokensClientError({ code: 'BAD_RESPONSE', message: `The daemon at ${base} answered ${path} with something that is not JSON.`, isRetryable: true, status: response.status });
      }
      if (!response.ok) throw errorFromStatus(response.status, body, base);
      return body;
    },
    async events(signal, lastEventId) {
      let response: Response;
      // The timeout covers the answer's head only; the stream itself lives until `signal`.
      const controller = new AbortController();
      const onAbort = () => controller.abort(signal.reason);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => controller.abort(new DOMException('The daemon did not answer in time.', 'TimeoutError')), o.timeoutMs);
      try {
        response = await o.fetch(`${base}/v1/events`, {
          headers: { authorization: auth, accept: 'text/event-stream', ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
          signal: controller.signal,
        });
      } catch (error) {
        throw transportError(error, base, o.timeoutMs);
      } finally {
        clearTimeout(timer);
      }
      if (!response.ok) {
        const text = await response.text().catch(() => '');
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        throw errorFromStatus(response.status, body, base);
      }
      if (!response.body || !(response.headers.get('content-type') ?? '').includes('text/event-stream')) {
        void response.body?.cancel().catch(() => undefined);
        throw new TokensClientError({ code: 'BAD_RESPONSE', message: `The daemon at ${base} did not answer /v1/events with an event stream.`, isRetryable: true });
      }
      return response;
    },
  };
}
