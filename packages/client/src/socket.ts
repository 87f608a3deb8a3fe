import { connect, type Socket } from 'node:net';
import { describeCause, TokensClientError } from './errors';

/** Longest line accepted from the daemon; longer means it is not our daemon. */
export const MAX_SOCKET_LINE = 4 * 1024 * 1024;

export type Message = Record<string, unknown>;

export interface LineConnection {
  /**
   * Sends `msg` with a fresh `id` and resolves with the answer carrying that id (`ok: true`).
   * No answer within `timeoutMs` rejects with TIMEOUT and drops the connection (a daemon that
   * stops answering is treated as gone), unless `keepOnTimeout` (an op that waits for a broker).
   */
  request(msg: Message, timeoutMs: number, options?: { keepOnTimeout?: boolean }): Promise<Message>;
  send(msg: Message): void;
  /** Resolves (never rejects) when the connection is gone, with the reason. */
  readonly ended: Promise<TokensClientError>;
  close(): void;
}

// The socket's errors carry no flags; these codes do not heal by themselves (core's and the socket's own).
const NOT_RETRYABLE = new Set([
  'UNAUTHORIZED',
  'INVALID_INPUT',
  'INVALID_ACCOUNT_ID',
  'UNKNOWN_ACCOUNT',
  'UNKNOWN_OP',
  'BAD_REQUEST',
  'LINE_TOO_LONG',
  'LOGIN_REQUIRED',
  'LOGIN_NOT_SUPPORTED',
  'INVALID_CREDENTIALS',
  'INVALID_CONFIG',
]);
const NEEDS_HUMAN = new Set(['LOGIN_REQUIRED', 'INVALID_CREDENTIALS', 'INVALID_CONFIG']);

export function socketAnswerError(msg: Message, where: string): TokensClientError {
  const e = msg.error as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : 'BAD_RESPONSE';
  const message = typeof e?.message === 'string' ? e.message : 'the daemon refused the request';
  if (code === 'UNAUTHORIZED') {
    return new TokensClientError({ code, message: `The daemon at ${where} refused the API token (${message}).`, isRetryable: false, needsHuman: true });
  }
  return new TokensClientError({ code, message, isRetryable: !NOT_RETRYABLE.has(code), needsHuman: NEEDS_HUMAN.has(code) });
}

let nextId = 0;

/**
 * Connects to the daemon's Unix socket, authenticates and returns a JSON-lines connection.
 * Lines that are not answers to our requests (events) go to `onMessage`.
 */
export async function openSocket(o: {
  path: string;
  apiToken: string;
  timeoutMs: number;
  signal?: AbortSignal;
  onMessage?: (msg: Message) => void;
  onData?: () => void;
}): Promise<LineConnection> {
  const where = o.path;
  const socket: Socket = connect(o.path);
  socket.setEncoding('utf8');
  const pending = new Map<string, { resolve: (m: Message) => void; reject: (e: TokensClientError) => void; timer: ReturnType<typeof setTimeout> }>();
  let buffer = '';
  let endReason: TokensClientError | undefined;
  let resolveEnded!: (e: TokensClientError) => void;
  const ended = new Promise<TokensClientError>((r) => (resolveEnded = r));

  const end = (reason: TokensClientError) => {
    if (endReason) return;
    endReason = reason;
    for (const p of pending.values()) {
      clearTimeout(p.timer);
      p.reject(reason);
    }
    pending.clear();
    socket.destroy();
    o.signal?.removeEventListener('abort', onAbort);
    resolveEnded(reason);
  };
  const onAbort = () => end(new TokensClientError({ code: 'CLOSED', message: 'The connection was closed by the client.', isRetryable: false }));
  if (o.signal?.aborted) onAbort();
  else o.signal?.addEventListener('abort', onAbort, { once: true });

  const badLine = (why: string) =>
    end(new TokensClientError({ code: 'BAD_RESPONSE', message: `The daemon's socket ${where} sent ${why}; reconnecting.`, isRetryable: true }));

  socket.on('data', (chunk: string) => {
    o.onData?.();
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (!line) continue;
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        return badLine('a line that is not JSON');
      }
      if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return badLine('a line that is not a JSON object');
      const m = msg as Message;
      const id = typeof m.id === 'string' && m.event === undefined ? m.id : undefined;
      const waiter = id !== undefined ? pending.get(id) : undefined;
      if (waiter) {
        pending.delete(id!);
        clearTimeout(waiter.timer);
        if (m.ok === true) waiter.resolve(m);
        else waiter.reject(socketAnswerError(m, where));
      } else if (m.ok === false && m.event === undefined && m.id === undefined) {
        // An error without one of our ids: the daemon is closing this connection.
        return end(socketAnswerError(m, where));
      } else if (m.event !== undefined) {
        o.onMessage?.(m);
      }
    }
    if (buffer.length > MAX_SOCKET_LINE) badLine('an over-long line');
  });
  socket.on('error', (error) =>
    end(new TokensClientError({ code: 'DAEMON_UNAVAILABLE', message: `The daemon's socket ${where} is unreachable (${describeCause(error)}).`, isRetryable: true, cause: error })),
  );
  socket.on('close', () => end(new TokensClientError({ code: 'DAEMON_UNAVAILABLE', message: `The daemon closed the socket ${where}.`, isRetryable: true })));

  const send = (msg: Message) => {
    if (!endReason) socket.write(`${JSON.stringify(msg)}\n`);
  };
  const request = (msg: Message, timeoutMs: number, opts: { keepOnTimeout?: boolean } = {}) =>
    new Promise<Message>((resolve, reject) => {
      if (endReason) return reject(endReason);
      const id = `c${++nextId}`;
      const timer = setTimeout(() => {
        pending.delete(id);
        const error = new TokensClientError({ code: 'TIMEOUT', message: `The daemon's socket ${where} did not answer "${String(msg.op)}" within ${timeoutMs} ms.`, isRetryable: true });
        reject(error);
        // A daemon that stops answering is treated as gone. A late answer is ignored.
        if (!opts.keepOnTimeout) end(error);
      }, timeoutMs);
      pending.set(id, { resolve, reject, timer });
      send({ ...msg, id });
    });

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      end(new TokensClientError({ code: 'TIMEOUT', message: `The daemon's socket ${where} did not accept a connection within ${o.timeoutMs} ms.`, isRetryable: true }));
    }, o.timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    void ended.then((e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  try {
    await request({ op: 'auth', token: o.apiToken }, o.timeoutMs);
  } catch (error) {
    end(error as TokensClientError);
    throw error;
  }
  return { request, send, ended, close: () => end(new TokensClientError({ code: 'CLOSED', message: 'The connection was closed by the client.', isRetryable: false })) };
}
