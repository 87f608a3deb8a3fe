import { randomUUID } from 'node:crypto';
import type { AlertSinkV1, AlertV1 } from '../contracts/alert-sink';
import type { ClockV1, TimerHandle } from '../contracts/clock';
import type { LoggerV1 } from '../contracts/logger';
import { toTokensError } from '../errors';

export interface SinkStatus {
  name: string;
  sent: number;
  failed: number;
  suppressed: number;
  pending: number;
  lastDelivery?: { at: number; ok: boolean; alertId: string; error?: string };
}

export interface AlertDispatcherOptions {
  sinks: AlertSinkV1[];
  clock: ClockV1;
  logger: LoggerV1;
  /** Same dedup key is not delivered again within this window. */
  dedupMs: number;
  /** Delivery attempts per alert and sink. Default 4. */
  maxAttempts?: number;
  /** Delay before attempt n+1 is retryDelaysMs[n-1]. */
  retryDelaysMs?: number[];
  /** At most this many alerts wait per sink; the oldest are dropped beyond it. */
  maxPendingPerSink?: number;
  onDelivery?: (info: { alert: AlertV1; sink: string; delivered: boolean }) => void;
}

export type AlertInput = Omit<AlertV1, 'id' | 'createdAt'>;

/**
 * Fire-and-forget delivery: deduplicated per key, retried with backoff per sink, bounded so a
 * channel that was down for hours doesn't flood when it recovers. Never throws into the engine.
 */
export function createAlertDispatcher(options: AlertDispatcherOptions) {
  const { clock, logger, dedupMs } = options;
  const maxAttempts = options.maxAttempts ?? 4;
  const delays = options.retryDelaysMs ?? [2_000, 15_000, 60_000];
  const maxPending = options.maxPendingPerSink ?? 20;
  const lastSent = new Map<string, number>();
  const status = new Map<AlertSinkV1, SinkStatus>();
  const pending = new Map<AlertSinkV1, Set<TimerHandle>>();
  let stopped = false;

  const statusOf = (sink: AlertSinkV1) => {
    let s = status.get(sink);
    if (!s) {
      s = { name: sink.name, sent: 0, failed: 0, suppressed: 0, pending: 0 };
      status.set(sink, s);
    }
    return s;
  };
  for (const sink of options.sinks) statusOf(sink);

  const deliver = async (sink: AlertSinkV1, alert: AlertV1, attempt: number): Promise<void> => {
    if (stopped) return;
    const s = statusOf(sink);
    try {
      await sink.send(alert);
      s.sent++;
      s.lastDelivery = { at: clock.now(), ok: true, alertId: alert.id };
      options.onDelivery?.({ alert, sink: sink.name, delivered: true });
    } catch (raw) {
      const error = toTokensError(raw, 'ALERT_DELIVERY_FAILED');
      const retryable = error.isRetryable || (raw as { isRetryable?: boolean })?.isRetryable === true;
      s.lastDelivery = { at: clock.now(), ok: false, alertId: alert.id, error: error.message };
      logger.warn({ sink: sink.name, alertId: alert.id, attempt, code: error.code }, 'alert delivery failed');
      if (retryable && attempt < maxAttempts && !stopped) {
        const timers = pending.get(sink) ?? new Set<TimerHandle>();
        pending.set(sink, timers);
        if (timers.size >= maxPending) {
          s.failed++;
          options.onDelivery?.({ alert, sink: sink.name, delivered: false });
          return;
        }
        s.pending = timers.size + 1;
        // A channel that said when to come back (429 Retry-After) is not asked earlier.
        const asked = (raw as { retryAfterMs?: unknown })?.retryAfterMs;
        const base = delays[Math.min(attempt - 1, delays.length - 1)] ?? 60_000;
        const delay = typeof asked === 'number' && asked > base ? asked : base;
        const handle = clock.setTimeout(() => {
          timers.delete(handle);
          s.pending = timers.size;
          void deliver(sink, alert, attempt + 1);
        }, delay);
        timers.add(handle);
        return;
      }
      s.failed++;
      options.onDelivery?.({ alert, sink: sink.name, delivered: false });
    }
  };

  return {
    /** Queues an alert; resolves immediately with the alert, or undefined when deduplicated. */
    dispatch(input: AlertInput, extraSinks: AlertSinkV1[] = []): AlertV1 | undefined {
      if (stopped) return undefined;
      const now = clock.now();
      const candidates = [...options.sinks, ...extraSinks];
      const last = lastSent.get(input.dedupKey);
      if (last !== undefined && now - last < dedupMs) {
        for (const sink of candidates) statusOf(sink).suppressed++;
        return undefined;
      }
      lastSent.set(input.dedupKey, now);
      // Keep the dedup map from growing without bound in a long-lived daemon.
      if (lastSent.size > 10_000) for (const [k, t] of lastSent) if (now - t >= dedupMs) lastSent.delete(k);
      const alert: AlertV1 = { ...input, id: randomUUID(), createdAt: now };
      // Channels that filter this alert out are skipped, not counted as deliveries.
      const sinks = candidates.filter((sink) => sink.accepts?.(alert) ?? true);
      logger.info({ alertId: alert.id, kind: alert.kind, severity: alert.severity, accountId: alert.accountId }, alert.title);
      for (const sink of sinks) void deliver(sink, alert, 1);
      return alert;
    },
    status(): SinkStatus[] {
      return [...status.values()].map((s) => ({ ...s, lastDelivery: s.lastDelivery && { ...s.lastDelivery } }));
    },
    /** Forgets a dedup key so the condition can alert again (after it was resolved). */
    reset(dedupKeyPrefix: string) {
      for (const k of lastSent.keys()) if (k.startsWith(dedupKeyPrefix)) lastSent.delete(k);
    },
    stop() {
      stopped = true;
      for (const timers of pending.values()) for (const t of timers) clock.clearTimeout(t);
      pending.clear();
    },
  };
}

export type AlertDispatcher = ReturnType<typeof createAlertDispatcher>;
