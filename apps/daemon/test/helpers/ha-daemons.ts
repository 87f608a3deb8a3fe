// Daemon processes for the high-availability test: configs on one Redis, the SSE feed of each
// daemon recorded with arrival times, and small API helpers.
import { mkdirSync, writeFileSync } from 'node:fs';
import { request, type ClientRequest } from 'node:http';
import { join } from 'node:path';
import { freePort, startDaemonProcess, type DaemonProcess } from './daemon-process';

export interface HaDaemonSettings {
  name: string;
  dir: string;
  redisUrl: string;
  keyPrefix: string;
  apiToken: string;
  /** This daemon's front to the broker fake. */
  brokerUrl: string;
  appKey: string;
  appSecret: string;
  accounts: string[];
  engine: Record<string, string>;
  refreshAhead: Record<string, number | string>;
  logLevel?: string;
}

export interface HaDaemon {
  name: string;
  url: string;
  process: DaemonProcess;
  /** `${account}@${version}` → when this daemon's SSE feed announced it (Date.now() here). */
  arrivals: Map<string, number>;
  /** account → versions announced, in order, with times. */
  versions: Map<string, Array<{ version: number; at: number }>>;
  closeFeed(): void;
  get(path: string): Promise<{ status: number; json: any }>;
}

/** Writes the daemon's config (its own folder, so state files don't collide) and starts it. */
export async function startHaDaemon(s: HaDaemonSettings): Promise<HaDaemon> {
  const dir = join(s.dir, s.name);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const accounts = Object.fromEntries(
    s.accounts.map((id) => [
      id,
      { broker: 'schwab', appKey: s.appKey, appSecret: s.appSecret, callbackUrl: 'https://127.0.0.1:8182', baseUrl: s.brokerUrl, refreshAhead: s.refreshAhead },
    ]),
  );
  const config = {
    store: { type: 'redis', url: s.redisUrl, keyPrefix: s.keyPrefix },
    http: { listen: `127.0.0.1:${port}`, apiToken: s.apiToken },
    log: { level: s.logLevel ?? 'warn', pretty: false },
    engine: s.engine,
    accounts,
  };
  // JSON (the loader takes .json too): 200 accounts share settings objects, which YAML would alias.
  writeFileSync(join(dir, 'tokens.json'), JSON.stringify(config, null, 2));
  const proc = await startDaemonProcess(['start', '--config', join(dir, 'tokens.json')], url);
  const auth = { authorization: `Bearer ${s.apiToken}` };
  const arrivals = new Map<string, number>();
  const versions = new Map<string, Array<{ version: number; at: number }>>();
  const feed = followEvents(url, auth, (accountId, version) => {
    const at = Date.now();
    const key = `${accountId}@${version}`;
    if (!arrivals.has(key)) arrivals.set(key, at);
    const list = versions.get(accountId) ?? [];
    list.push({ version, at });
    versions.set(accountId, list);
  });
  await feed.connected;
  return {
    name: s.name,
    url,
    process: proc,
    arrivals,
    versions,
    closeFeed: () => feed.close(),
    async get(path) {
      const res = await fetch(`${url}${path}`, { headers: auth });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = text;
      }
      return { status: res.status, json };
    },
  };
}

/** Follows `GET /v1/events` and calls `onToken` for every `token` event as soon as it arrives. */
export function followEvents(url: string, headers: Record<string, string>, onToken: (accountId: string, version: number) => void): { connected: Promise<void>; close(): void } {
  let req: ClientRequest | undefined;
  let closed = false;
  const connected = new Promise<void>((resolve, reject) => {
    req = request(`${url}/v1/events`, { headers: { ...headers, accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`GET /v1/events answered ${res.statusCode}`));
      resolve();
      res.setEncoding('utf8');
      let buf = '';
      res.on('data', (chunk: string) => {
        buf += chunk;
        let end: number;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, end);
          buf = buf.slice(end + 2);
          if (!frame.includes('event: token')) continue;
          const data = frame.split('\n').find((l) => l.startsWith('data: '));
          if (!data) continue;
          const e = JSON.parse(data.slice(6)) as { accountId: string; version: number };
          onToken(e.accountId, e.version);
        }
      });
      res.on('error', () => undefined);
    });
    req.on('error', (error) => (closed ? undefined : reject(error)));
    req.end();
  });
  return {
    connected,
    close() {
      closed = true;
      req?.destroy();
    },
  };
}
