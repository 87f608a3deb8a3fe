import type { SinkDelivery, SinkRunnerDeps, SinkStatus, TokenSink } from './types';

const SINK_TIMEOUT_MS = 60_000;

/**
 * Runs every sink of an account for each new token, concurrently and independently: one slow
 * or failing sink never blocks another sink or the next refresh. Deliveries for one sink are
 * serialised, and a newer token supersedes one still waiting.
 */
export function createSinkRunner(deps: SinkRunnerDeps) {
  const sinks = new Map<string, TokenSink[]>();
  const status = new Map<TokenSink, SinkStatus>();
  const queues = new Map<TokenSink, { running: boolean; next?: SinkDelivery }>();
  const controller = new AbortController();

  const run = async (sink: TokenSink, delivery: SinkDelivery): Promise<void> => {
    const q = queues.get(sink)!;
    q.running = true;
    const s = status.get(sink)!;
    const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(SINK_TIMEOUT_MS)]);
    try {
      await sink.write(delivery, signal);
      s.delivered++;
      s.lastDelivery = { at: deps.now(), ok: true, version: delivery.version };
      deps.onResult({ accountId: delivery.accountId, sink: sink.name, ok: true });
    } catch (error) {
      const message = error instanceof Error ? error.message : 'unknown error';
      s.failed++;
      s.lastDelivery = { at: deps.now(), ok: false, version: delivery.version, error: message };
      deps.logger.warn({ accountId: delivery.accountId, sink: sink.name, version: delivery.version }, `sink failed: ${message}`);
      deps.onResult({ accountId: delivery.accountId, sink: sink.name, ok: false, error: message });
    } finally {
      q.running = false;
      const next = q.next;
      q.next = undefined;
      if (next && !controller.signal.aborted) void run(sink, next);
    }
  };

  return {
    /** Replaces the sinks of an account (config load or reload). */
    async set(accountId: string, list: TokenSink[]): Promise<void> {
      const old = sinks.get(accountId) ?? [];
      sinks.set(accountId, list);
      for (const sink of list) {
        status.set(sink, { name: sink.name, type: sink.type, delivered: 0, failed: 0 });
        queues.set(sink, { running: false });
      }
      await Promise.all(old.filter((s) => !list.includes(s)).map((s) => s.close?.().catch(() => undefined)));
    },
    /** Hands a stored token to every sink of its account. Returns at once. */
    deliver(delivery: SinkDelivery): void {
      for (const sink of sinks.get(delivery.accountId) ?? []) {
        const q = queues.get(sink)!;
        if (q.running) q.next = delivery;
        else void run(sink, delivery);
      }
    },
    status(accountId: string): SinkStatus[] {
      return (sinks.get(accountId) ?? []).map((s) => ({ ...status.get(s)!, lastDelivery: status.get(s)!.lastDelivery && { ...status.get(s)!.lastDelivery! } }));
    },
    /** Resolves when no delivery is running (graceful shutdown, tests). */
    async idle(timeoutMs = 10_000): Promise<void> {
      for (let waited = 0; [...queues.values()].some((q) => q.running) && waited < timeoutMs; waited += 10) {
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async close(): Promise<void> {
      controller.abort(new Error('daemon stopping'));
      await Promise.all([...sinks.values()].flat().map((s) => s.close?.().catch(() => undefined)));
      sinks.clear();
    },
  };
}

export type SinkRunner = ReturnType<typeof createSinkRunner>;
