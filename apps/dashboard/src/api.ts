import type { AccountView, LoginStart, TokenStatusView, ValidateResponse } from './types';

/** A failed API call, with the daemon's error code and its human message. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/**
 * The daemon's HTTP API, same origin. The session lives in an httpOnly cookie the page cannot
 * read; the CSRF token it gets at sign-in goes into `X-CSRF-Token` on every mutating request.
 */
export function createApi(onUnauthorized: () => void) {
  let csrf: string | undefined;

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
    let response: Response;
    try {
      response = await fetch(path, { method, headers, credentials: 'same-origin', cache: 'no-store', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    } catch {
      throw new ApiError(0, 'NETWORK', 'The daemon did not answer. Is it running?');
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      throw new ApiError(response.status, 'BAD_RESPONSE', `The daemon answered HTTP ${response.status} with something that is not JSON.`);
    }
    if (!response.ok) {
      const error = (json as { error?: { code?: string; message?: string } }).error;
      if (response.status === 401 && path.startsWith('/v1/')) onUnauthorized();
      throw new ApiError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? `HTTP ${response.status}`);
    }
    return json as T;
  }

  const account = (id: string) => `/v1/accounts/${encodeURIComponent(id)}`;

  return {
    /** True when the cookie holds a live session (and picks up its CSRF token). */
    async session(): Promise<boolean> {
      try {
        const s = await call<{ authenticated: boolean; csrf?: string }>('GET', '/auth/session');
        csrf = s.csrf;
        return s.authenticated;
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return false;
        throw error;
      }
    },
    async signIn(kind: 'token' | 'password', secret: string): Promise<void> {
      const s = await call<{ csrf: string }>('POST', '/auth/session', { [kind]: secret });
      csrf = s.csrf;
    },
    async signOut(): Promise<void> {
      try {
        await call('DELETE', '/auth/session');
      } finally {
        csrf = undefined;
      }
    },
    accounts: () => call<{ accounts: AccountView[] }>('GET', '/v1/accounts').then((r) => r.accounts),
    account: (id: string) => call<AccountView>('GET', account(id)),
    refresh: (id: string) => call<AccountView>('POST', `${account(id)}/refresh`),
    validate: (id: string) => call<ValidateResponse>('POST', `${account(id)}/validate`),
    startLogin: (id: string) => call<LoginStart>('POST', `${account(id)}/login`),
    completeLogin: (id: string, pasted: string) => call<AccountView>('POST', `${account(id)}/login/complete`, { pasted }),
    tokenStatus: () => call<TokenStatusView>('GET', '/api/token-status'),
  };
}

export type Api = ReturnType<typeof createApi>;

/** The message to show for any failure: "CODE: message" for daemon errors. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.code && error.status !== 0 ? `${error.code}: ${error.message}` : error.message;
  return error instanceof Error ? error.message : 'Something went wrong.';
}
