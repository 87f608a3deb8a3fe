import type { AccountState, AlertSeverityV1, ErrorSummary } from '@tokens/core';

/** What the daemon tells its consumers (SSE, Unix socket, dashboard). Never carries a secret. */
export type DaemonEvent =
  | { type: 'token'; accountId: string; broker: string; version: number; expiresAt: number; source: string }
  | { type: 'state'; accountId: string; from: AccountState; to: AccountState; error?: ErrorSummary }
  | { type: 'alert'; alertId: string; accountId?: string; kind: string; severity: AlertSeverityV1; delivered: boolean; sink: string }
  | { type: 'sink'; accountId: string; sink: string; ok: boolean; error?: string };

export type StampedEvent = DaemonEvent & { id: number; at: number };

/** Fan-out of daemon events with a short history, so late subscribers can catch up. */
export function createEventHub(options: { now: () => number; history?: number }) {
  const limit = options.history ?? 500;
  const history: StampedEvent[] = [];
  const listeners = new Set<(e: StampedEvent) => void>();
  let nextId = 1;
  return {
    publish(event: DaemonEvent): StampedEvent {
      const stamped = { ...event, id: nextId++, at: options.now() } as StampedEvent;
      history.push(stamped);
      // Trimmed in batches, one splice per `limit` events: a busy daemon publishes thousands a second.
      if (history.length >= 2 * limit) history.splice(0, history.length - limit);
      for (const l of [...listeners]) {
        try {
          l(stamped);
        } catch {
          // one broken subscriber must not starve the others
        }
      }
      return stamped;
    },
    subscribe(listener: (e: StampedEvent) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** Events after `afterId` (for SSE Last-Event-ID and the dashboard's events view). */
    since(afterId = 0): StampedEvent[] {
      // The last `limit` events at most; ids are consecutive, so no search.
      const oldest = Math.max(0, history.length - limit);
      const next = history.length === 0 ? 0 : afterId - history[0]!.id + 1;
      return history.slice(Math.max(oldest, next));
    },
    get subscribers() {
      return listeners.size;
    },
    /** Id of the latest event published (0 before the first). */
    get lastId() {
      return nextId - 1;
    },
  };
}

export type EventHub = ReturnType<typeof createEventHub>;
