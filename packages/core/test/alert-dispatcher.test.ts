import { describe, expect, it } from 'vitest';
import { createAlertDispatcher } from '../src/engine/alert-dispatcher';
import { noopLogger } from '../src/engine/context';
import { NetworkError } from '../src/errors';
import { createFakeClock, createMemoryAlertSink } from '../src/testing';

const input = (key: string) => ({ severity: 'warning' as const, kind: 'refresh_failed', title: 't', message: 'm', dedupKey: key });

describe('alert dispatcher', () => {
  it('deduplicates a key within the window and sends it again after', async () => {
    const clock = createFakeClock();
    const sink = createMemoryAlertSink();
    const d = createAlertDispatcher({ sinks: [sink], clock, logger: noopLogger, dedupMs: 60_000 });
    expect(d.dispatch(input('a'))).toBeDefined();
    expect(d.dispatch(input('a'))).toBeUndefined();
    expect(d.dispatch(input('b'))).toBeDefined();
    await clock.advance(60_000);
    expect(d.dispatch(input('a'))).toBeDefined();
    await clock.flush();
    expect(sink.alerts.map((a) => a.dedupKey)).toEqual(['a', 'b', 'a']);
    expect(d.status()[0]).toMatchObject({ sent: 3, suppressed: 1, failed: 0 });
  });

  it('retries a retryable failure with backoff and gives up after the last attempt', async () => {
    const clock = createFakeClock();
    const sink = createMemoryAlertSink();
    const d = createAlertDispatcher({ sinks: [sink], clock, logger: noopLogger, dedupMs: 1, retryDelaysMs: [1_000, 5_000], maxAttempts: 3 });
    sink.failNext(2, new NetworkError({ message: 'down' }));
    d.dispatch(input('x'));
    await clock.advance(999);
    expect(sink.alerts).toHaveLength(0);
    await clock.advance(1);
    expect(sink.alerts).toHaveLength(0);
    await clock.advance(5_000);
    expect(sink.alerts).toHaveLength(1);
    sink.failNext(5, new NetworkError({ message: 'down' }));
    d.dispatch(input('y'));
    await clock.advance(60_000);
    expect(sink.alerts).toHaveLength(1);
    expect(d.status()[0]).toMatchObject({ sent: 1, failed: 1, pending: 0 });
  });

  it('does not retry a non-retryable failure, and bounds what waits for a sink that is down', async () => {
    const clock = createFakeClock();
    const sink = createMemoryAlertSink();
    const d = createAlertDispatcher({ sinks: [sink], clock, logger: noopLogger, dedupMs: 1, maxPendingPerSink: 3, retryDelaysMs: [60_000] });
    sink.failNext(1, new Error('bad webhook'));
    d.dispatch(input('n'));
    await clock.advance(120_000);
    expect(sink.alerts).toHaveLength(0);
    sink.failNext(100, new NetworkError({ message: 'down' }));
    for (let i = 0; i < 10; i++) d.dispatch(input(`k${i}`));
    await clock.flush();
    expect(d.status()[0]!.pending).toBe(3);
    sink.failNext(0);
    await clock.advance(60_000);
    // Only the bounded backlog is delivered when the channel recovers: no flood.
    expect(sink.alerts).toHaveLength(3);
  });
});

describe('alert dispatcher routing and Retry-After', () => {
  it('skips channels whose accepts() is false without counting them as sent, and waits as long as a channel asks', async () => {
    const clock = createFakeClock();
    const all = createMemoryAlertSink({ name: 'all' });
    const criticalOnly = Object.assign(createMemoryAlertSink({ name: 'critical-only' }), { accepts: (a: { severity: string }) => a.severity === 'critical' });
    const d = createAlertDispatcher({ sinks: [all, criticalOnly], clock, logger: noopLogger, dedupMs: 1, retryDelaysMs: [1_000] });
    d.dispatch(input('w'));
    await clock.flush();
    expect(all.alerts).toHaveLength(1);
    expect(criticalOnly.alerts).toHaveLength(0);
    expect(d.status().map((s) => [s.name, s.sent])).toEqual([
      ['all', 1],
      ['critical-only', 0],
    ]);
    all.failNext(1, Object.assign(new NetworkError({ message: 'slow down' }), { retryAfterMs: 30_000 }));
    d.dispatch(input('r'));
    await clock.advance(29_999);
    expect(all.alerts).toHaveLength(1);
    await clock.advance(1);
    expect(all.alerts).toHaveLength(2);
  });
});
