import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the loopback server received it. */
export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. "/api/v3/validate-refresh-token". */
  path: string;
  /** Query parameters (the last value wins for repeated names). */
  query: Record<string, string>;
  /** Lower-cased header names, as Node parses them. */
  headers: IncomingHttpHeaders;
  /** The raw request body as UTF-8 text ("" when none). */
  rawBody: string;
  /** The body parsed as JSON when it is JSON (whatever the content type says, like FYERS' server). */
  json?: unknown;
  /** The body parsed as `application/x-www-form-urlencoded` when sent with that content type. */
  form?: Record<string, string>;
  /** Epoch ms on the server's `now` clock; only on servers started with one. */
  receivedAt?: number;
}

/** A recorded request stamped with its arrival time (servers started with a `now` clock). */
export interface TimedRecordedRequest extends RecordedRequest {
  /** Epoch ms from the server's `now` clock when the request body had been read. */
  receivedAt: number;
}

/**
 * Handles one request. The body has already been read: use `request` (the third argument),
 * not the `req` stream.
 */
export type LoopbackHandler<R extends RecordedRequest = RecordedRequest> = (req: IncomingMessage, res: ServerResponse, request: R) => void | Promise<void>;

export interface LoopbackServerOptions<R extends RecordedRequest = RecordedRequest> {
  /** Port to listen on. Default 0: a free port. Fix it for stable URLs (sandboxes, login redirects). */
  port?: number;
  /** Address to listen on, also used in `url`. Default "127.0.0.1". */
  host?: string;
  /** A clock (epoch ms, e.g. an injected test clock): every record gets `receivedAt`. */
  now?: () => number;
  /**
   * Extends or reshapes each record before it is stored and handed to the handler, e.g. to label
   * which host of a multi-host fake got it: `record: (r) => ({ ...r, host: 'login' })`.
   */
  record?: (request: RecordedRequest) => R;
  /** Records into this array instead of a new one, so several servers can keep one log. */
  calls?: R[];
  /** Body of the 500 answer when the handler throws. Default "loopback test server: handler failed". */
  failureText?: string;
}

export interface LoopbackServer<R extends RecordedRequest = RecordedRequest> {
  /** "http://127.0.0.1:<port>" (the `host` option in place of 127.0.0.1), no trailing slash. */
  readonly url: string;
  /** The port listened on (the one the system picked when `port` was 0). */
  readonly port: number;
  /** Every request received, in order. */
  readonly calls: R[];
  /** Errors thrown by the handler (the client got a 500). */
  readonly handlerErrors: unknown[];
  /** Stops listening and destroys open connections, including ones a handler never answered. */
  close(): Promise<void>;
}

function parseBody(rawBody: string, contentType: string | undefined): Pick<RecordedRequest, 'json' | 'form'> {
  const out: Pick<RecordedRequest, 'json' | 'form'> = {};
  if (rawBody.length === 0) return out;
  try {
    out.json = JSON.parse(rawBody) as unknown;
  } catch {
    // not JSON
  }
  if (contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    out.form = Object.fromEntries(new URLSearchParams(rawBody));
  }
  return out;
}

/**
 * Starts a real HTTP server on 127.0.0.1 (random port unless `options.port`) for broker fakes and
 * tests. It records every request (method, path, query, headers, raw body, parsed JSON/form, and
 * `receivedAt` with a `now` clock) before calling the handler. Handlers can simulate faults: never
 * answer (timeouts), `req.socket.destroy()` (connection closed) or `req.socket.resetAndDestroy()`
 * (TCP reset).
 */
export function startLoopbackServer<R extends RecordedRequest>(
  handler: LoopbackHandler<R>,
  options: LoopbackServerOptions<R> & { record: (request: RecordedRequest) => R },
): Promise<LoopbackServer<R>>;
export function startLoopbackServer(
  handler: LoopbackHandler<TimedRecordedRequest>,
  options: LoopbackServerOptions<TimedRecordedRequest> & { now: () => number },
): Promise<LoopbackServer<TimedRecordedRequest>>;
export function startLoopbackServer(handler: LoopbackHandler, options?: LoopbackServerOptions): Promise<LoopbackServer>;
export async function startLoopbackServer<R extends RecordedRequest>(handler: LoopbackHandler<R>, options: LoopbackServerOptions<R> = {}): Promise<LoopbackServer<R>> {
  const { now, record, failureText = 'loopback test server: handler failed' } = options;
  const host = options.host ?? '127.0.0.1';
  const calls: R[] = options.calls ?? [];
  const handlerErrors: unknown[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => {
      // a client that resets mid-body: nothing to record
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const received: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        rawBody,
        ...parseBody(rawBody, req.headers['content-type']),
        ...(now ? { receivedAt: now() } : {}),
      };
      // Without `record`, R is RecordedRequest (or TimedRecordedRequest with `now`): the overloads see to it.
      const recorded = record ? record(received) : (received as R);
      calls.push(recorded);
      Promise.resolve()
        .then(() => handler(req, res, recorded))
        .catch((error: unknown) => {
          handlerErrors.push(error);
          if (!res.headersSent) {
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(failureText);
          } else {
            res.destroy();
          }
        });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    calls,
    handlerErrors,
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

/** Writes an HTML page: `sendHtml(res, 200, '<form>…</form>')`. */
export function sendHtml(res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html).toString(),
    ...headers,
  });
  res.end(html);
}

/** Writes a JSON response: `sendJson(res, 200, { s: 'ok' }, { 'retry-after': '3' })`. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text).toString(),
    ...headers,
  });
  res.end(text);
}
