import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileTokenStore, Secret, type TokenSetV1 } from '@tokens/core';
import { FAKE_DHAN_CLIENT, startFakeDhan } from '@tokens/dhan/fake';
import { FAKE_FYERS_DEFAULTS, startFakeFyers } from '@tokens/fyers/fake';
import { startFakeKite } from '@tokens/kite/fake';
import { startFakeKotak } from '@tokens/kotak/fake';
import { startFakeSchwab } from '@tokens/schwab/fake';
import { parseConfig, type LoadedConfig } from './config/load';
import type { Daemon } from './daemon';

const SCHWAB = { appKey: 'sandbox-schwab-app-key-000000000', appSecret: 'sandbox-schwab-app-secret' };
const KITE = { apiKey: 'sandboxkite01', apiSecret: 'sandbox-kite-api-secret' };

export interface Sandbox {
  loaded: LoadedConfig;
  /** Folder holding the throwaway store, sinks and socket. */
  dir: string;
  /** What the fake Kite login page accepts. */
  kiteUser: { userId: string; password: string };
  fakes: { schwab: { url: string }; fyers: { url: string }; kite: { url: string; loginUrl: string }; dhan: { url: string }; kotak: { url: string } };
  fetch?: typeof fetch;
  announce(daemon: Daemon): void;
  close(): Promise<void>;
}

async function freePort(preferred: number): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(undefined));
      s.listen(port, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
  return (await tryPort(preferred)) ?? (await tryPort(0))!;
}

/**
 * `tokens start --sandbox`: the five fake brokers on loopback with short lifetimes (Schwab
 * access tokens of 60 s, Dhan tokens of 3 min), one account each, a throwaway store. Schwab
 * and FYERS start as if a human had logged in earlier; Kite waits for its daily login.
 */
export async function startSandbox(options: { port?: number; dir?: string } = {}): Promise<Sandbox> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'tokens-sandbox-'));
  const port = options.port ?? (await freePort(7420));
  const base = `http://127.0.0.1:${port}`;
  const callback = `${base}/oauth/callback`;

  const schwab = await startFakeSchwab({ ...SCHWAB, callbackUrl: callback, accessTokenLifetimeSeconds: 60, refreshTokenLifetimeMs: 25 * 3_600_000 });
  const fyers = await startFakeFyers({ redirectUri: callback });
  const kite = await startFakeKite({ apiKey: KITE.apiKey, apiSecret: KITE.apiSecret, redirectUrl: callback });
  const dhan = await startFakeDhan({ tokenLifetimeMs: 3 * 60_000 });
  const kotak = await startFakeKotak();

  // Sessions as if a human had logged in earlier, so renewals start at once.
  const store = createFileTokenStore({ dir: join(dir, 'store') });
  const s = schwab.issueSession();
  const f = fyers.issueSession();
  const seed = async (id: string, broker: string, t: TokenSetV1) => store.put(id, { broker, tokenSet: t }, { expectedVersion: 0 });
  await seed('schwab-demo', 'schwab', {
    accessToken: new Secret(s.accessToken),
    refreshToken: new Secret(s.refreshToken),
    issuedAt: s.issuedAt,
    expiresAt: s.expiresAt,
    refreshExpiresAt: s.refreshExpiresAt,
    tokenType: 'Bearer',
    secretExtras: { idToken: new Secret(s.idToken) },
  });
  await seed('fyers-demo', 'fyers', { accessToken: new Secret(f.accessToken), refreshToken: new Secret(f.refreshToken), issuedAt: f.issuedAt, expiresAt: f.expiresAt, refreshExpiresAt: f.refreshExpiresAt });
  await store.close();

  const raw = {
    store: { type: 'file', dir: './store' },
    http: { listen: `127.0.0.1:${port}` },
    socket: { path: './tokens.sock' },
    log: { level: 'info' },
    alerts: [{ type: 'file', path: './alerts.jsonl' }],
    accounts: {
      'schwab-demo': {
        broker: 'schwab',
        label: 'Schwab (60 s tokens)',
        ...SCHWAB,
        callbackUrl: callback,
        baseUrl: schwab.url,
        market: 'NYSE',
        sinks: [
          { type: 'schwab-py', path: './sinks/schwab_tokens.json' },
          { type: 'json-file', path: './sinks/schwab-demo.json' },
        ],
      },
      'fyers-demo': {
        broker: 'fyers',
        label: 'FYERS',
        appId: FAKE_FYERS_DEFAULTS.appId,
        appSecret: FAKE_FYERS_DEFAULTS.appSecret,
        pin: FAKE_FYERS_DEFAULTS.pin,
        redirectUri: callback,
        baseUrl: fyers.url,
        market: 'NSE',
        sinks: [{ type: 'env', path: './sinks/fyers.env', key: 'FYERS_ACCESS_TOKEN' }],
      },
      'kite-demo': {
        broker: 'kite',
        label: 'Zerodha Kite (daily login)',
        ...KITE,
        redirectUrl: callback,
        baseUrl: kite.url,
        loginUrl: kite.loginUrl,
        market: 'NSE',
        sinks: [{ type: 'env', path: './sinks/kite.env', key: 'KITE_ACCESS_TOKEN' }],
      },
      'dhan-demo': {
        broker: 'dhan',
        label: 'Dhan (3 min tokens, PIN + TOTP)',
        mode: 'totp',
        clientId: FAKE_DHAN_CLIENT.clientId,
        pin: FAKE_DHAN_CLIENT.pin,
        totpSecret: FAKE_DHAN_CLIENT.totpSecret,
        baseUrl: dhan.url,
        authBaseUrl: dhan.authUrl,
        market: 'NSE',
        sinks: [{ type: 'raw', path: './sinks/dhan.token' }],
      },
      'kotak-demo': {
        broker: 'kotak',
        label: 'Kotak Neo (TOTP + MPIN)',
        ...kotak.credentials,
        loginBaseUrl: kotak.url,
        market: 'NSE',
        sinks: [{ type: 'json-file', path: './sinks/kotak-demo.json' }],
      },
    },
  };
  const loaded = parseConfig(raw, { baseDir: dir, environment: {} });
  const user = kite.user;
  return {
    loaded,
    dir,
    kiteUser: { userId: user.userId, password: user.password },
    fakes: { schwab: { url: schwab.url }, fyers: { url: fyers.url }, kite: { url: kite.url, loginUrl: kite.loginUrl }, dhan: { url: dhan.url }, kotak: { url: kotak.url } },
    announce(daemon) {
      const lines = [
        '',
        '  tokens sandbox is running (fake brokers on loopback, no credentials needed)',
        '',
        `  Dashboard and API   ${daemon.url}/`,
        `  API token           ${daemon.apiToken.reveal()}`,
        `  Unix socket         ${daemon.socketPath ?? '-'}`,
        `  Files               ${dir}`,
        '',
        '  Schwab renews every ~40 s and Dhan every ~2 min; Kite waits for its daily login.',
        `  Log in to Kite from the dashboard (fake login: user ${user.userId}, password ${user.password}),`,
        `  or run: curl -s -X POST -H "Authorization: Bearer <token>" ${daemon.url}/v1/accounts/kite-demo/login`,
        '  Press Ctrl+C to stop; the sandbox folder is removed.',
        '',
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    },
    async close() {
      await Promise.allSettled([schwab.close(), fyers.close(), kite.close(), dhan.close(), kotak.close()]);
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
