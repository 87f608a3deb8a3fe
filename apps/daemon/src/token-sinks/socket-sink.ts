import { connect } from 'node:net';
import type { SinkDelivery, TokenSink } from './types';

export interface SocketPushOptions {
  path: string;
  /** Attempts per token. Default 3. */
  tries: number;
  /** Pause between attempts. Default 5 s. */
  intervalMs: number;
  /** How long to wait for the connection and the `OK`. Default 5 s. */
  timeoutMs: number;
}

/**
 * One attempt of the Schwab setup's protocol: connect, send one JSON object
 * `{access_token, refresh_token, expires_at}` and a newline, wait for `OK`.
 */
function pushOnce(o: SocketPushOptions, payload: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(o.path);
    let reply = '';
    const finish = (error?: Error) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      if (error) reject(error);
      else resolve();
    };
    const onAbort = () => finish(new Error('cancelled'));
    const timer = setTimeout(() => finish(new Error(`no OK within ${o.timeoutMs} ms`)), o.timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(payload));
    socket.on('data', (chunk: string) => {
      reply += chunk;
      if (/^\s*OK\b/.test(reply)) finish();
      else if (reply.length > 256 || reply.includes('\n')) finish(new Error('consumer answered something other than OK'));
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      finish(new Error(error.code === 'ENOENT' || error.code === 'ECONNREFUSED' ? 'nobody is listening on the socket' : `socket error (${error.code ?? 'unknown'})`));
    });
    socket.on('close', () => finish(new Error('consumer closed the connection without OK')));
  });
}

const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), reject(new Error('cancelled'))), { once: true });
  });

/** Pushes each new token to a consumer listening on a Unix socket (e.g. a C++ trading bot). */
export function createSocketPushSink(o: SocketPushOptions): TokenSink {
  return {
    name: `unix-socket:${o.path}`,
    type: 'unix-socket',
    async write(d: SinkDelivery, signal) {
      const t = d.tokenSet;
      const payload = `${JSON.stringify({
        access_token: t.accessToken.reveal(),
        refresh_token: t.refreshToken?.reveal() ?? null,
        expires_at: Math.floor(t.expiresAt / 1000),
      })}\n`;
      let last: Error | undefined;
      for (let attempt = 1; attempt <= o.tries; attempt++) {
        try {
          return await pushOnce(o, payload, signal);
        } catch (error) {
          last = error as Error;
          if (signal.aborted) break;
          if (attempt < o.tries) await pause(o.intervalMs, signal);
        }
      }
      throw new Error(`${last?.message ?? 'failed'} after ${o.tries} tries`);
    },
  };
}
