import type { ClientToken, TokensClient } from './types';

export interface TokenBinding {
  /** Resolves once `apply` ran with the current token (rejects when none could be had). */
  readonly ready: Promise<ClientToken>;
  /** Stops applying new tokens. */
  unbind(): void;
}

export interface BindOptions {
  /** Called when `apply` throws or the first token cannot be had (`ready` rejects too). */
  onError?: (error: unknown) => void;
}

/**
 * Keeps anything that holds a token current: calls `apply(accessToken, token)` with the current
 * token now and again every time the daemon hands out a new one. Use it for SDK instances,
 * WebSocket feeds (reconnect with the new token) or headers of a long-lived HTTP client.
 *
 * ```ts
 * bindToken(client, 'fyers-main', (token) => fyers.setAccessToken(token));
 * ```
 */
export function bindToken(client: TokensClient, account: string, apply: (accessToken: string, token: ClientToken) => void | Promise<void>, options: BindOptions = {}): TokenBinding {
  let bound = true;
  let lastApplied: ClientToken | undefined;
  const run = async (t: ClientToken) => {
    if (!bound) return;
    if (lastApplied && lastApplied.version >= t.version && lastApplied.accessToken === t.accessToken) return;
    if (lastApplied && lastApplied.version > t.version) return;
    lastApplied = t;
    try {
      await apply(t.accessToken, t);
    } catch (error) {
      options.onError?.(error);
    }
  };
  const unsubscribe = client.onChange(account, (t) => void run(t));
  const ready = client.getToken(account).then(async (t) => {
    const latest = client.peek(account);
    const current = latest && latest.version >= t.version ? latest : t;
    await run(current);
    return current;
  });
  ready.catch((error: unknown) => options.onError?.(error));
  return {
    ready,
    unbind() {
      bound = false;
      unsubscribe();
    },
  };
}

/** The one method of the official `kiteconnect` client (`new KiteConnect({ api_key })`) that is used. */
export interface KiteConnectLike {
  setAccessToken(accessToken: string): void;
}

/**
 * Keeps a `kiteconnect` instance on the current Kite access token, in place: no restart, no new
 * instance. Typed structurally, so any object with `setAccessToken(token)` works (the
 * `kiteconnect` package is not a dependency).
 *
 * ```ts
 * import { KiteConnect } from 'kiteconnect';
 * const kite = new KiteConnect({ api_key: process.env.KITE_API_KEY });
 * await bindKiteConnect(client, 'kite-main', kite).ready;
 * ```
 */
export function bindKiteConnect(client: TokensClient, account: string, kite: KiteConnectLike, options: BindOptions = {}): TokenBinding {
  if (!kite || typeof kite.setAccessToken !== 'function') throw new TypeError('bindKiteConnect needs a KiteConnect instance (an object with setAccessToken).');
  return bindToken(client, account, (token) => kite.setAccessToken(token), options);
}
