// The broker side of the daemon's high-availability test: the wire-exact Schwab fake with
// rotating refresh tokens (a reused refresh token is refused, as a second refresh kills the
// session at Schwab-like brokers), and one recording front per daemon in front of it.
//
// Each daemon gets its own front URL as its `baseUrl`, so the front knows which daemon sent a
// request. A front adds a broker-like latency, follows every account's chain of refresh tokens
// (so every grant is known by account, number, daemon and time), and can isolate a daemon: its
// new requests are held and never reach the fake, as if the process had died before the broker
// saw them. That makes the SIGKILL deterministic: the victim dies holding leases (requests in
// flight) without a rotated refresh token the store never got.
import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFakeSchwab, type FakeSchwabServer, type FakeSchwabSession } from '@tokens/schwab/fake';

export interface Grant {
  account: string;
  /** 1 for the first renewal after the seeded login, 2 for the next… (stored version = n + 1). */
  n: number;
  daemon: string;
  /** When the daemon's request reached its front. */
  receivedAt: number;
  /** When the front passed the request on to the fake. */
  forwardedAt: number;
  /** When the fake's answer reached the front. */
  grantedAt: number;
  accessToken: string;
  refreshToken: string;
}

export interface Refusal {
  daemon: string;
  account: string;
  status: number;
  body: string;
  at: number;
}

interface Waiting {
  daemon: string;
  account: string;
  since: number;
  res: ServerResponse;
  open: boolean;
}

export interface HaBrokerOptions {
  appKey: string;
  appSecret: string;
  lifetimeSeconds: number;
  /** Added to every request before it reaches the fake, like a real broker's round trip. */
  latencyMs: number;
}

export interface HaBroker {
  readonly fake: FakeSchwabServer;
  readonly lifetimeMs: number;
  /** Starts the front a daemon uses as its Schwab `baseUrl`. */
  front(daemon: string): Promise<string>;
  /** A session "a human logged in" for this account, tracked from now on. */
  seed(account: string): FakeSchwabSession;
  /** Every grant of an account, in order (the seed is not one). */
  grantsOf(account: string): Grant[];
  allGrants(): Grant[];
  grantsByDaemon(): Record<string, number>;
  /** Every grant a daemon received, in order. */
  grantsTo(daemon: string): Grant[];
  /** The grant that minted this access token (undefined for seeded tokens). */
  grantOfAccessToken(token: string): Grant | undefined;
  /** When the seeded login of an account happened. */
  seededAt(account: string): number | undefined;
  /** Refresh requests the fake answered with anything but 200. */
  refusals: Refusal[];
  /** From now on this daemon's requests are held, never forwarded. */
  isolate(daemon: string): void;
  /** Requests of the daemon held or waiting out the latency, whose client still waits. */
  waiting(daemon: string): Array<{ account: string; since: number }>;
  /** Requests of the daemon forwarded to the fake and not answered yet. */
  forwarded(daemon: string): number;
  /** Closes the held requests of an isolated daemon; returns how many there were. */
  dropHeld(daemon: string): number;
  /** Does the fake accept this access token right now (its account-numbers probe)? */
  accepts(accessToken: string): Promise<boolean>;
  /** Presents a refresh token to the fake once, directly; true when it is the live one. */
  refreshDirect(refreshToken: string): Promise<{ ok: boolean; status: number }>;
  close(): Promise<void>;
}

export async function startHaBroker(options: HaBrokerOptions): Promise<HaBroker> {
  const fake = await startFakeSchwab({
    appKey: options.appKey,
    appSecret: options.appSecret,
    accessTokenLifetimeSeconds: options.lifetimeSeconds,
    rotateRefreshTokens: true,
    // 200 accounts share one app here: a login must not retire the others' sessions.
    loginRevokesPrevious: false,
  });
  const basic = `Basic ${Buffer.from(`${options.appKey}:${options.appSecret}`).toString('base64')}`;
  const accountOfRefresh = new Map<string, string>();
  const grants = new Map<string, Grant[]>();
  const byAccess = new Map<string, Grant>();
  const seeded = new Map<string, number>();
  const byDaemon: Record<string, number> = {};
  const toDaemon = new Map<string, Grant[]>();
  const isolated = new Set<string>();
  const waitingSet = new Set<Waiting>();
  const inFlight = new Map<string, number>();
  const refusals: Refusal[] = [];
  const servers: Server[] = [];

  // Plain node:http with keep-alive: several times cheaper than fetch, and this process also
  // runs the fake, the fronts, three SSE feeds and the samplers.
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const fakeUrl = new URL(fake.url);
  const pass = (req: IncomingMessage, body: string) =>
    new Promise<{ status: number; contentType: string; text: string }>((resolve, reject) => {
      const headers: Record<string, string> = {};
      for (const h of ['authorization', 'content-type', 'accept']) if (typeof req.headers[h] === 'string') headers[h] = req.headers[h] as string;
      if (body) headers['content-length'] = String(Buffer.byteLength(body));
      const out = request({ agent, host: fakeUrl.hostname, port: fakeUrl.port, method: req.method ?? 'GET', path: req.url ?? '/', headers }, (answer) => {
        let text = '';
        answer.setEncoding('utf8');
        answer.on('data', (c: string) => (text += c));
        answer.on('end', () => resolve({ status: answer.statusCode ?? 502, contentType: String(answer.headers['content-type'] ?? 'application/json'), text }));
        answer.on('error', reject);
      });
      out.on('error', reject);
      out.end(body || undefined);
    });

  const forward = async (daemon: string, account: string, req: IncomingMessage, res: ServerResponse, body: string, refreshGrant: boolean, receivedAt: number) => {
    const forwardedAt = Date.now();
    inFlight.set(daemon, (inFlight.get(daemon) ?? 0) + 1);
    let answer: { status: number; contentType: string; text: string };
    try {
      answer = await pass(req, body);
    } finally {
      inFlight.set(daemon, (inFlight.get(daemon) ?? 1) - 1);
    }
    const { status, text } = answer;
    if (refreshGrant) {
      if (status === 200) {
        const json = JSON.parse(text) as { access_token: string; refresh_token: string };
        const list = grants.get(account) ?? [];
        const grant: Grant = { account, n: list.length + 1, daemon, receivedAt, forwardedAt, grantedAt: Date.now(), accessToken: json.access_token, refreshToken: json.refresh_token };
        list.push(grant);
        grants.set(account, list);
        byAccess.set(grant.accessToken, grant);
        accountOfRefresh.set(grant.refreshToken, account);
        byDaemon[daemon] = (byDaemon[daemon] ?? 0) + 1;
        const mine = toDaemon.get(daemon) ?? [];
        mine.push(grant);
        toDaemon.set(daemon, mine);
      } else {
        refusals.push({ daemon, account, status, body: text.slice(0, 300), at: Date.now() });
      }
    }
    if (!res.destroyed) res.writeHead(status, { 'content-type': answer.contentType }).end(text);
  };

  const handle = (daemon: string, req: IncomingMessage, res: ServerResponse, body: string) => {
    const form = new URLSearchParams(body);
    const refreshGrant = req.url?.startsWith('/v1/oauth/token') === true && form.get('grant_type') === 'refresh_token';
    const account = refreshGrant ? (accountOfRefresh.get(form.get('refresh_token') ?? '') ?? '?') : '-';
    const entry: Waiting = { daemon, account, since: Date.now(), res, open: true };
    waitingSet.add(entry);
    res.once('close', () => (entry.open = false));
    setTimeout(() => {
      // An isolated daemon's request stays held: the fake never sees it.
      if (isolated.has(daemon)) return;
      waitingSet.delete(entry);
      if (!entry.open) return; // the daemon gave up (refresh timeout) before we sent it: never forwarded
      forward(daemon, account, req, res, body, refreshGrant, entry.since).catch(() => {
        if (!res.destroyed) res.writeHead(502).end();
      });
    }, options.latencyMs);
  };

  return {
    fake,
    lifetimeMs: options.lifetimeSeconds * 1000,
    async front(daemon) {
      const server = createServer((req, res) => {
        let body = '';
        req.setEncoding('utf8');
        req.on('data', (c: string) => (body += c));
        req.on('end', () => handle(daemon, req, res, body));
      });
      servers.push(server);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    seed(account) {
      const session = fake.issueSession();
      accountOfRefresh.set(session.refreshToken, account);
      seeded.set(account, session.issuedAt);
      grants.set(account, []);
      return session;
    },
    grantsOf: (account) => grants.get(account) ?? [],
    allGrants: () => [...grants.values()].flat(),
    grantsByDaemon: () => ({ ...byDaemon }),
    grantsTo: (daemon) => toDaemon.get(daemon) ?? [],
    grantOfAccessToken: (token) => byAccess.get(token),
    seededAt: (account) => seeded.get(account),
    refusals,
    isolate(daemon) {
      isolated.add(daemon);
    },
    waiting: (daemon) => [...waitingSet].filter((w) => w.daemon === daemon && w.open).map((w) => ({ account: w.account, since: w.since })),
    forwarded: (daemon) => inFlight.get(daemon) ?? 0,
    dropHeld(daemon) {
      let n = 0;
      for (const w of [...waitingSet]) {
        if (w.daemon !== daemon) continue;
        waitingSet.delete(w);
        if (w.open) n++;
        w.res.destroy();
      }
      return n;
    },
    async accepts(accessToken) {
      const res = await fetch(`${fake.url}/trader/v1/accounts/accountNumbers`, { headers: { authorization: `Bearer ${accessToken}` } });
      await res.arrayBuffer();
      return res.status === 200;
    },
    async refreshDirect(refreshToken) {
      const res = await fetch(`${fake.url}/v1/oauth/token`, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
      });
      await res.arrayBuffer();
      return { ok: res.status === 200, status: res.status };
    },
    async close() {
      for (const w of waitingSet) w.res.destroy();
      agent.destroy();
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((r) => {
              s.closeAllConnections();
              s.close(() => r());
            }),
        ),
      );
      await fake.close();
    },
  };
}
