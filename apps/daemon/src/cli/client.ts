import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedConfig } from '../config/load';

/** How the CLI reaches a running daemon: its URL and API token, found next to its store. */
export interface DaemonEndpoint {
  url: string;
  token: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The state dir the daemon writes `daemon.json` and `api-token` into. */
export function stateDirOf(loaded: LoadedConfig): string {
  const store = loaded.config.store;
  return store.type === 'file' ? store.dir : join(loaded.baseDir, '.tokens');
}

/** Finds a running daemon for this config (daemon.json + API token), or undefined. */
export async function findDaemon(loaded: LoadedConfig, overrides: { url?: string; token?: string } = {}): Promise<DaemonEndpoint | undefined> {
  const dir = stateDirOf(loaded);
  let url = overrides.url;
  if (!url) {
    const file = join(dir, 'daemon.json');
    if (!existsSync(file)) return undefined;
    try {
      url = (JSON.parse(readFileSync(file, 'utf8')) as { url: string }).url;
    } catch {
      return undefined;
    }
  }
  const token =
    overrides.token ??
    process.env.TOKENS_API_TOKEN ??
    loaded.config.http.apiToken ??
    (existsSync(join(dir, 'api-token')) ? readFileSync(join(dir, 'api-token'), 'utf8').trim() : undefined);
  if (!token) return undefined;
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_500) });
    if (!res.ok) return undefined;
  } catch {
    return undefined; // daemon.json left by a daemon that is gone
  }
  return { url, token };
}

export async function api<T>(endpoint: DaemonEndpoint, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${endpoint.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${endpoint.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(60_000),
  });
  const json = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  if (!res.ok) throw new ApiError(res.status, json.error?.code ?? String(res.status), json.error?.message ?? `HTTP ${res.status}`);
  return json as T;
}
