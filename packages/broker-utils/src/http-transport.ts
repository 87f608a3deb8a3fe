import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';

/*
 * How a BrokerHttp request reaches the broker. By default over node:http / node:https with
 * keep-alive agents: for one small token request, Node's fetch (undici with web streams)
 * costs ~0.6 ms more CPU than node:http on the same machine (bench: refreshes at 10,000
 * accounts), for features a broker call does not use. A custom `fetch` is used as given,
 * and so is Node's fetch when a non-default undici dispatcher is installed (a ProxyAgent,
 * EnvHttpProxyAgent or MockAgent) or redirects are to be followed.
 */

export interface TransportRequest {
  method: string;
  headers: Headers;
  body?: string | URLSearchParams;
  signal: AbortSignal;
  redirect: 'manual' | 'follow';
}

/** A response whose body has not been read yet; `text()` reads it once. */
export interface TransportResponse {
  status: number;
  headers: Headers;
  text(): Promise<string>;
}

export type Transport = (url: URL, init: TransportRequest) => Promise<TransportResponse>;

/** Adapts a fetch function (custom, or Node's own). */
export function fetchTransport(fetchFn: () => typeof globalThis.fetch): Transport {
  return async (url, init) => {
    const response = await fetchFn()(url, init);
    return { status: response.status, headers: response.headers, text: () => response.text() };
  };
}

// Shared like fetch's global dispatcher. Idle sockets are unref'd by the agent, so they never
// keep a finished script alive, and closed when the server's Keep-Alive hint runs out.
const httpAgent = new HttpAgent({ keepAlive: true, scheduling: 'lifo' });
const httpsAgent = new HttpsAgent({ keepAlive: true, scheduling: 'lifo' });

const UNDICI_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

/** True when the application routed Node's fetch through its own undici dispatcher. */
function customDispatcherInstalled(): boolean {
  const dispatcher = (globalThis as Record<symbol, unknown>)[UNDICI_DISPATCHER];
  // Node's fetch installs a plain `Agent` on first use; anything else was put there on purpose.
  return dispatcher != null && (dispatcher as { constructor?: { name?: string } }).constructor?.name !== 'Agent';
}

const viaGlobalFetch = fetchTransport(() => globalThis.fetch);

/** The default transport: node:http(s), or Node's fetch where that is what the app set up. */
export const defaultTransport: Transport = (url, init) =>
  init.redirect === 'follow' || customDispatcherInstalled() ? viaGlobalFetch(url, init) : nodeTransport(url, init);

function requestHeaders(init: TransportRequest, body: string | undefined): Record<string, string> {
  const out: Record<string, string> = { accept: '*/*', 'accept-encoding': 'gzip, deflate, br', 'user-agent': 'node' };
  if (init.body instanceof URLSearchParams) out['content-type'] = 'application/x-www-form-urlencoded;charset=UTF-8';
  for (const [name, value] of init.headers) out[name] = value;
  if (body !== undefined) out['content-length'] = String(Buffer.byteLength(body));
  return out;
}

const networkError = (message: string, code: string) => Object.assign(new Error(message), { code });

function decode(body: Buffer, encoding: string | undefined): Buffer {
  const coding = encoding?.trim().toLowerCase();
  if (!coding || coding === 'identity' || body.length === 0) return body;
  try {
    if (coding === 'gzip' || coding === 'x-gzip') return gunzipSync(body);
    if (coding === 'br') return brotliDecompressSync(body);
    if (coding === 'deflate') {
      // Servers send both zlib-wrapped and raw deflate under this name.
      try {
        return inflateSync(body);
      } catch {
        return inflateRawSync(body);
      }
    }
  } catch {
    throw networkError(`the response body could not be decoded (${coding})`, 'ERR_BODY_DECODE');
  }
  return body; // an unknown coding: handed over as sent, like fetch
}

function responseHeaders(res: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i]!, raw[i + 1]!);
    } catch {
      // A header value fetch would also refuse: left out rather than failing the call.
    }
  }
  return headers;
}

/** One request over node:http(s); resolves once the whole body is in. */
function send(url: URL, init: TransportRequest, body: string | undefined, headers: Record<string, string>): Promise<{ res: IncomingMessage; bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === 'https:';
    let req: ClientRequest;
    try {
      req = (secure ? httpsRequest : httpRequest)(url, { method: init.method, headers, agent: secure ? httpsAgent : httpAgent, signal: init.signal });
    } catch (error) {
      return reject(error);
    }
    let answered = false;
    req.once('error', (error) => {
      if (!answered) Object.assign(error, { reusedSocket: req.reusedSocket });
      reject(error);
    });
    req.once('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', reject);
      res.once('end', () => resolve({ res, bytes: Buffer.concat(chunks) }));
      // Closed before the end: the connection broke mid-body (an abort also lands here).
      res.once('close', () => {
        if (!res.complete) reject(init.signal.aborted ? init.signal.reason : networkError('the connection closed before the response ended', 'ECONNRESET'));
      });
    });
    req.end(body);
  });
}

/** node:http(s) transport; a 3xx comes back as the response (redirect 'manual'). */
export async function nodeTransport(url: URL, init: TransportRequest): Promise<TransportResponse> {
  const body = init.body === undefined ? undefined : init.body.toString();
  const headers = requestHeaders(init, body);
  let sent: Awaited<ReturnType<typeof send>>;
  try {
    sent = await send(url, init, body, headers);
  } catch (error) {
    // A kept-alive socket the server had closed (a FIN: "socket hang up", no syscall) as we
    // reused it: the request never reached the broker's application, so one retry on a new
    // connection is safe. A reset (RST, syscall "read") may come after the broker read the
    // request: that one is the caller's to judge, like any network error.
    const e = error as NodeJS.ErrnoException & { reusedSocket?: boolean };
    if (!(e.reusedSocket && e.code === 'ECONNRESET' && e.syscall === undefined && !init.signal.aborted)) throw error;
    sent = await send(url, init, body, headers);
  }
  const { res, bytes } = sent;
  const text = init.method === 'HEAD' ? '' : decode(bytes, res.headers['content-encoding']).toString('utf8');
  return { status: res.statusCode ?? 0, headers: responseHeaders(res), text: async () => text };
}
