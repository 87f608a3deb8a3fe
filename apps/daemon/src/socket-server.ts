import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { TokensError, type Secret, type TokenManager } from '@tokens/core';
import type { Logger } from 'pino';
import type { EventHub, StampedEvent } from './events';

/** Longest request line accepted; anything longer closes that connection. */
export const MAX_LINE_BYTES = 64 * 1024;
/** Output a client may leave unread before it is dropped (a slow reader never stalls others). */
const MAX_BUFFERED_BYTES = 1024 * 1024;
const AUTH_TIMEOUT_MS = 10_000;

export interface SocketServerOptions {
  path: string;
  apiToken: Secret;
  manager: () => TokenManager;
  events: EventHub;
  logger: Logger;
}

export interface SocketServer {
  readonly path: string;
  readonly connections: number;
  close(): Promise<void>;
}

type Request = { id?: unknown; op?: unknown; token?: unknown; account?: unknown; accounts?: unknown; access_token?: unknown };

async function isLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => (probe.destroy(), resolve(true)));
    probe.once('error', () => resolve(false));
  });
}

/**
 * The JSON-lines API on a Unix socket (0600) for consumers in any language. Protocol
 * (documented in the README): one JSON object per line each way; `auth` first, then `get`,
 * `list`, `subscribe`, `ping`. Garbage, oversized lines or a slow reader close that
 * connection only.
 */
export async function createSocketServer(o: SocketServerOptions): Promise<SocketServer> {
  if (existsSync(o.path)) {
    if (await isLive(o.path)) throw new Error(`Another process is already serving ${o.path}.`);
    unlinkSync(o.path); // left behind by a crash
  }
  const clients = new Set<Socket>();

  const tokenMessage = async (account: string) => {
    const manager = o.manager();
    const t = await manager.getTokenSet(account);
    const status = manager.status(account);
    const out: Record<string, unknown> = {
      account,
      broker: status.broker,
      version: status.version,
      access_token: t.accessToken.reveal(),
      expires_at: Math.floor(t.expiresAt / 1000),
    };
    if (t.refreshToken) out.refresh_token = t.refreshToken.reveal();
    if (t.extras) out.extras = t.extras;
    if (t.secretExtras) out.secret_extras = Object.fromEntries(Object.entries(t.secretExtras).map(([k, v]) => [k, v.reveal()]));
    return out;
  };

  // A token event becomes one line, built once and written to every subscriber.
  const lines = new WeakMap<StampedEvent, Promise<string | undefined>>();
  const pushLine = (e: StampedEvent & { type: 'token' }) => {
    let line = lines.get(e);
    if (!line) {
      line = tokenMessage(e.accountId).then(
        (t) => `${JSON.stringify({ event: 'token', ...t, source: e.source, id: e.id, at: e.at })}\n`,
        () => undefined,
      );
      lines.set(e, line);
    }
    return line;
  };

  const server = createServer((socket) => {
    clients.add(socket);
    socket.setEncoding('utf8');
    let buffer = '';
    let authed = false;
    let unsubscribe: (() => void) | undefined;
    let filter: Set<string> | 'all' | undefined;
    const authTimer = setTimeout(() => !authed && socket.destroy(), AUTH_TIMEOUT_MS);

    const sendLine = (line: string) => {
      if (socket.destroyed) return;
      if (socket.writableLength > MAX_BUFFERED_BYTES) {
        o.logger.warn({ socket: 'unix' }, 'dropping a socket client that does not read');
        socket.destroy();
        return;
      }
      socket.write(line);
    };
    const send = (message: object) => sendLine(`${JSON.stringify(message)}\n`);
    const fail = (id: unknown, code: string, message: string, close = false) => {
      send({ id, ok: false, error: { code, message } });
      if (close) socket.end();
    };

    const onEvent = (e: StampedEvent) => {
      if (!filter || ('accountId' in e && e.accountId && filter !== 'all' && !filter.has(e.accountId))) return;
      if (e.type === 'token') {
        pushLine(e)
          .then((line) => line && sendLine(line))
          .catch(() => undefined);
      } else send({ event: e.type, ...e });
    };

    const handle = async (req: Request) => {
      const id = req.id;
      if (req.op === 'auth') {
        if (typeof req.token === 'string' && o.apiToken.equals(req.token)) {
          authed = true;
          clearTimeout(authTimer);
          return send({ id, ok: true });
        }
        return fail(id, 'UNAUTHORIZED', 'wrong API token', true);
      }
      if (!authed) return fail(id, 'UNAUTHORIZED', 'send {"op":"auth","token":"<api token>"} first', true);
      try {
        switch (req.op) {
          case 'ping':
            return send({ id, ok: true, pong: true });
          case 'list':
            return send({ id, ok: true, accounts: o.manager().statusAll() });
          case 'get':
            if (typeof req.account !== 'string') return fail(id, 'INVALID_INPUT', '"account" is required');
            return send({ id, ok: true, ...(await tokenMessage(req.account)) });
          case 'refresh':
          case 'invalidate': {
            // A consumer whose API call was rejected: mark the token bad (invalidate) or just
            // ask for a new one (refresh), and answer with the fresh token.
            if (typeof req.account !== 'string') return fail(id, 'INVALID_INPUT', '"account" is required');
            const manager = o.manager();
            if (req.op === 'invalidate') manager.invalidate(req.account, typeof req.access_token === 'string' ? req.access_token : undefined);
            else await manager.refresh(req.account, { force: true });
            return send({ id, ok: true, ...(await tokenMessage(req.account)) });
          }
          case 'subscribe': {
            const accounts = req.accounts ?? req.account;
            const known = new Set(o.manager().accounts());
            const wanted = accounts === undefined || accounts === '*' ? undefined : Array.isArray(accounts) ? accounts.map(String) : [String(accounts)];
            const unknown = wanted?.filter((a) => !known.has(a)) ?? [];
            if (unknown.length > 0) return fail(id, 'UNKNOWN_ACCOUNT', `unknown account(s): ${unknown.join(', ')}`);
            filter = wanted === undefined ? 'all' : new Set(wanted);
            unsubscribe ??= o.events.subscribe(onEvent);
            send({ id, ok: true });
            // Current tokens first, so a (re)connecting consumer never misses one.
            const ids = filter === 'all' ? o.manager().accounts() : [...filter];
            for (const account of ids) {
              if (!o.manager().status(account).tokenValid) continue;
              const t = await tokenMessage(account).catch(() => undefined);
              if (t) send({ event: 'token', ...t, source: 'snapshot' });
            }
            return;
          }
          default:
            return fail(id, 'UNKNOWN_OP', 'ops: auth, ping, list, get, subscribe, refresh, invalidate');
        }
      } catch (error) {
        const e = TokensError.isInstance(error) ? error : undefined;
        return fail(id, e?.code ?? 'INTERNAL', e?.message ?? 'internal error');
      }
    };

    const tooLong = (text: string) => {
      if (Buffer.byteLength(text) <= MAX_LINE_BYTES) return false;
      fail(undefined, 'LINE_TOO_LONG', `lines are limited to ${MAX_LINE_BYTES} bytes`, true);
      socket.destroy();
      return true;
    };
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const whole = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        // Also a long line that arrived in one piece, newline included.
        if (tooLong(whole)) return;
        const line = whole.trim();
        if (!line) continue;
        let req: Request;
        try {
          req = JSON.parse(line) as Request;
          if (req === null || typeof req !== 'object' || Array.isArray(req)) throw new Error('not an object');
        } catch {
          fail(undefined, 'BAD_REQUEST', 'each line must be one JSON object', true);
          socket.destroy();
          return;
        }
        void handle(req);
      }
      // What is left is the start of a line: it must not grow without end either.
      tooLong(buffer);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      clearTimeout(authTimer);
      unsubscribe?.();
      clients.delete(socket);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.path, () => resolve());
  });
  chmodSync(o.path, 0o600);
  return {
    path: o.path,
    get connections() {
      return clients.size;
    },
    async close() {
      for (const c of clients) c.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      try {
        unlinkSync(o.path);
      } catch {
        // already gone
      }
    },
  };
}
