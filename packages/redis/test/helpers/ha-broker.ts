// A loopback "broker" for the HA test: rotates refresh tokens on every grant, rejects a used
// one (like Schwab, Dhan, Kotak re-mints, where a second refresh kills the session), and
// counts everything.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface AccountState {
  n: number;
  refreshToken: string;
  accessExpiresAt: number;
}

interface InFlight {
  worker: string;
  account: string;
  startedAt: number;
}

export interface HaBroker {
  url: string;
  /** Registers the session a human "logged in" earlier. */
  seed(account: string, n: number, expiresAt: number): void;
  /** Every request answers 503 (retryable) from now on: nothing rotates any more. */
  maintenance(on: boolean): void;
  /** Commits of this worker's in-flight requests are dropped, as if its process had died first. */
  markKilled(worker: string): void;
  inFlight(worker: string): InFlight[];
  lastGrantAt(worker: string): number;
  stats: {
    requests: number;
    grants: number;
    /** A refresh token presented after it had been rotated away: a duplicate refresh. */
    rejected: number;
    /** What each rejected request presented, for the failure message. */
    rejections: Array<{ worker: string; account: string; presented: string; current: string; at: number }>;
    /** Grants made after the replaced access token had already expired. */
    late: number;
    abandoned: number;
    unavailable: number;
    grantsByWorker: Record<string, number>;
    grantsByAccount: Record<string, number>;
  };
  close(): Promise<void>;
}

export const accessToken = (account: string, n: number) => `acc-${account}-${n}`;
export const refreshToken = (account: string, n: number) => `ref-${account}-${n}`;

export async function startHaBroker(options: { lifetimeMs: number; holdMs: number }): Promise<HaBroker> {
  const accounts = new Map<string, AccountState>();
  const killed = new Set<string>();
  const flights = new Set<InFlight>();
  const lastGrant = new Map<string, number>();
  let down = false;
  const stats: HaBroker['stats'] = { requests: 0, grants: 0, rejected: 0, rejections: [], late: 0, abandoned: 0, unavailable: 0, grantsByWorker: {}, grantsByAccount: {} };

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    stats.requests++;
    if (down) {
      stats.unavailable++;
      return json(res, 503, { error: 'maintenance' });
    }
    const { account, refresh_token: presented } = JSON.parse(body) as { account: string; refresh_token: string };
    const worker = String(req.headers['x-worker'] ?? '?');
    const flight: InFlight = { worker, account, startedAt: Date.now() };
    flights.add(flight);
    // Hold the request like a real broker's latency; the rotation commits only when we answer.
    setTimeout(() => {
      flights.delete(flight);
      if (killed.has(worker) || res.destroyed) {
        stats.abandoned++;
        res.destroy();
        return;
      }
      const state = accounts.get(account);
      if (!state || presented !== state.refreshToken) {
        stats.rejected++;
        stats.rejections.push({ worker, account, presented, current: state?.refreshToken ?? 'none', at: Date.now() });
        return json(res, 400, { error: 'invalid_grant', error_description: 'refresh token already used' });
      }
      const now = Date.now();
      if (now > state.accessExpiresAt) stats.late++;
      state.n++;
      state.refreshToken = refreshToken(account, state.n);
      state.accessExpiresAt = now + options.lifetimeMs;
      stats.grants++;
      stats.grantsByWorker[worker] = (stats.grantsByWorker[worker] ?? 0) + 1;
      stats.grantsByAccount[account] = (stats.grantsByAccount[account] ?? 0) + 1;
      lastGrant.set(worker, now);
      json(res, 200, { access_token: accessToken(account, state.n), refresh_token: state.refreshToken, expires_in_ms: options.lifetimeMs, issued_at: now });
    }, options.holdMs);
  };

  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => handle(req, res, body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seed(account, n, expiresAt) {
      accounts.set(account, { n, refreshToken: refreshToken(account, n), accessExpiresAt: expiresAt });
    },
    maintenance(on) {
      down = on;
    },
    markKilled(worker) {
      killed.add(worker);
    },
    inFlight: (worker) => [...flights].filter((f) => f.worker === worker),
    lastGrantAt: (worker) => lastGrant.get(worker) ?? 0,
    stats,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
