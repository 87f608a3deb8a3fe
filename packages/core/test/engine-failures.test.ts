import { describe, expect, it } from 'vitest';
import { createTokenManager } from '../src/engine';
import { createMemoryTokenStore } from '../src/stores/memory-store';
import { BrokerApiError, LoginRequiredError, NetworkError, TokensError } from '../src/errors';
import type { TokenStoreV1 } from '../src/contracts/token-store';
import { createFakeClock, createMemoryAlertSink, createMockBrokerAdapter } from '../src/testing';
import { MIN, tokenSet } from './helpers/engine';

/** A store whose writes can be switched off, to prove persist-before-publish. */
function flakyStore(inner: TokenStoreV1) {
  let failing = false;
  const store: TokenStoreV1 & { setFailing(v: boolean): void } = {
    ...inner,
    specificationVersion: 'v1',
    capabilities: inner.capabilities,
    get: (id) => inner.get(id),
    list: () => inner.list(),
    delete: (id, o) => inner.delete(id, o),
    async put(id, input, options) {
      if (failing) throw new Error('ENOSPC: no space left on device');
      return inner.put(id, input, options);
    },
    setFailing(v) {
      failing = v;
    },
  };
  return store;
}

describe('failures', () => {
  it('serves the old token while it is valid and retries with backoff capped by the remaining lifetime', async () => {
    const clock = createFakeClock();
    const store = createMemoryTokenStore({ clock });
    const old = tokenSet(clock.now(), 30 * MIN);
    await store.put('s', { broker: 'mock', tokenSet: old }, { expectedVersion: 0 });
    const fresh = tokenSet(clock.now() + 22 * MIN, 30 * MIN);
    const adapter = createMockBrokerAdapter({
      doRefresh: [new NetworkError({ message: 'ECONNRESET' }), new BrokerApiError({ broker: 'mock', statusCode: 429, retryAfterMs: 90_000, message: 'slow down' }), fresh],
    });
    const states: string[] = [];
    const results: string[] = [];
    const manager = createTokenManager({ store, clock, random: () => 0.5, backoff: { initialMs: 10_000, maxMs: 10 * MIN } });
    manager.on('state', (e) => states.push(e.to));
    manager.on('refresh', (e) => results.push(e.ok ? `ok:${e.source}` : `fail:${e.source}:${e.error?.code}`));
    await manager.addAccount({ id: 's', adapter });
    await clock.advanceTo(old.issuedAt + 20 * MIN);
    expect(adapter.doRefreshCalls).toHaveLength(1);
    const status = manager.status('s');
    expect(status.state).toBe('retrying');
    expect(status.lastError?.code).toBe('NETWORK_ERROR');
    // Full jitter at random 0.5 of a 10 s ceiling = 5 s.
    expect(status.nextRetryAt! - clock.now()).toBe(5_000);
    expect(await manager.getAccessToken('s')).toBe(old.accessToken.reveal());
    await clock.advance(5_000);
    expect(adapter.doRefreshCalls).toHaveLength(2);
    // Retry-After 90 s beats the backoff, and stays under half the remaining lifetime.
    expect(manager.status('s').nextRetryAt! - clock.now()).toBe(90_000);
    await clock.advance(90_000);
    expect(adapter.doRefreshCalls).toHaveLength(3);
    expect(manager.status('s').state).toBe('valid');
    expect(await manager.getAccessToken('s')).toBe(fresh.accessToken.reveal());
    expect(states).toEqual(['valid', 'refreshing', 'retrying', 'refreshing', 'retrying', 'refreshing', 'valid']);
    expect(results).toEqual(['fail:schedule:NETWORK_ERROR', 'fail:retry:BROKER_API_ERROR', 'ok:retry']);
    await manager.stop();
  });

  it('moves to login_required on an error that needs a human, alerts once with the login link, and stops retrying', async () => {
    const clock = createFakeClock();
    const store = createMemoryTokenStore({ clock });
    await store.put('s', { broker: 'mock', tokenSet: tokenSet(clock.now(), 30 * MIN) }, { expectedVersion: 0 });
    const adapter = createMockBrokerAdapter({ doRefresh: new LoginRequiredError({ message: 'refresh token expired', broker: 'mock' }) });
    const sink = createMemoryAlertSink();
    const manager = createTokenManager({ store, clock, random: () => 0.5, alerts: [sink], loginLink: (id) => `https://tokens.local/login/${id}` });
    await manager.addAccount({ id: 's', adapter });
    await clock.advance(21 * MIN);
    expect(manager.status('s').state).toBe('login_required');
    await clock.advance(6 * 60 * MIN);
    expect(adapter.doRefreshCalls).toHaveLength(1);
    const critical = sink.alerts.filter((a) => a.kind === 'login_required');
    expect(critical).toHaveLength(1);
    expect(critical[0]).toMatchObject({ severity: 'critical', action: { label: 'Log in', url: 'https://tokens.local/login/s' } });
    const err = await manager.getAccessToken('s').catch((e) => e);
    expect(err).toMatchObject({ code: 'LOGIN_REQUIRED', needsHuman: true });
    // New credentials: replacing the adapter clears "needs a human" and renewal is tried again.
    adapter.setRefresh(() => tokenSet(clock.now()));
    await manager.addAccount({ id: 's', adapter });
    await clock.flush();
    expect(manager.status('s').state).toBe('valid');
    await manager.stop();
  });

  it('persists before publishing: a failed store write keeps the new token in memory, alerts, retries, then publishes', async () => {
    const clock = createFakeClock();
    const store = flakyStore(createMemoryTokenStore({ clock }));
    const old = tokenSet(clock.now(), 30 * MIN);
    await store.put('s', { broker: 'mock', tokenSet: old }, { expectedVersion: 0 });
    const rotated = tokenSet(clock.now() + 20 * MIN, 30 * MIN);
    const adapter = createMockBrokerAdapter({ doRefresh: [rotated] });
    const sink = createMemoryAlertSink();
    const manager = createTokenManager({ store, clock, random: () => 0.5, alerts: [sink] });
    const changes: number[] = [];
    manager.on('change', (e) => changes.push(e.version));
    await manager.addAccount({ id: 's', adapter });
    changes.length = 0;
    store.setFailing(true);
    await clock.advance(20 * MIN);
    expect(adapter.doRefreshCalls).toHaveLength(1);
    expect(changes).toEqual([]);
    expect(manager.status('s').persistPending).toBe(true);
    expect(await manager.getAccessToken('s')).toBe(old.accessToken.reveal());
    expect(sink.alerts.find((a) => a.kind === 'persist_failed')).toMatchObject({ severity: 'critical' });
    await clock.advance(10_000);
    expect(manager.status('s').persistPending).toBe(true);
    store.setFailing(false);
    await clock.advance(60_000);
    expect(manager.status('s').persistPending).toBe(false);
    expect(changes).toEqual([2]);
    const saved = await store.get('s');
    expect(saved?.tokenSet.refreshToken?.reveal()).toBe(rotated.refreshToken!.reveal());
    expect(adapter.doRefreshCalls).toHaveLength(1);
    await manager.stop();
  });

  it('a failing alert sink never stops the engine', async () => {
    const clock = createFakeClock();
    const store = createMemoryTokenStore({ clock });
    const broken = { specificationVersion: 'v1' as const, name: 'broken', send: async () => { throw new Error('sink down'); } };
    const adapter = createMockBrokerAdapter({
      capabilities: { renewal: 'relogin' },
      doRefresh: [new NetworkError({ message: 'down' }), tokenSet(clock.now() + 60_000)],
    });
    const manager = createTokenManager({ store, clock, random: () => 0.5, alerts: [broken] });
    await manager.addAccount({ id: 'd', adapter });
    await clock.advance(60_000);
    expect(manager.status('d').state).toBe('valid');
    // The failure alert was attempted and failed (a first session is no "recovery"); nothing else broke.
    expect(manager.alertStatus()[0]).toMatchObject({ name: 'broken', sent: 0, failed: 1 });
    await manager.stop();
  });

  it('classifies unknown throws as typed errors whose message carries no URL query secrets', async () => {
    const clock = createFakeClock();
    const adapter = createMockBrokerAdapter({
      capabilities: { renewal: 'relogin' },
      doRefresh: () => {
        throw new Error('request to https://auth.broker.example/app/generate?pin=CANARY1234&totp=987654 failed');
      },
    });
    const manager = createTokenManager({ store: createMemoryTokenStore({ clock }), clock });
    await manager.addAccount({ id: 'd', adapter });
    await clock.flush();
    const last = manager.status('d').lastError!;
    expect(last.code).toBe('ADAPTER_ERROR');
    expect(last.message).not.toContain('CANARY1234');
    expect(TokensError.isInstance(await manager.getAccessToken('d').catch((e) => e))).toBe(true);
    await manager.stop();
  });
});
