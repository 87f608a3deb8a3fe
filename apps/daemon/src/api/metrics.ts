import type { TokenManager } from '@tokens/core';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one daemon, on its own registry (no global state). */
export function createMetrics(getManager: () => TokenManager | undefined) {
  const registry = new Registry();
  const statuses = () => getManager()?.statusAll() ?? [];
  const labels = ['account', 'broker'] as const;

  new Gauge({
    name: 'tokens_token_expiry_timestamp_seconds',
    help: 'When the current access token expires (unix seconds).',
    labelNames: labels,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of statuses()) if (s.expiresAt) this.set({ account: s.accountId, broker: s.broker }, s.expiresAt / 1000);
    },
  });
  new Gauge({
    name: 'tokens_refresh_token_expiry_timestamp_seconds',
    help: 'When renewal stops working and a human must log in (unix seconds).',
    labelNames: labels,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of statuses()) if (s.refreshExpiresAt) this.set({ account: s.accountId, broker: s.broker }, s.refreshExpiresAt / 1000);
    },
  });
  new Gauge({
    name: 'tokens_login_required',
    help: '1 when only a human login can restore the account.',
    labelNames: labels,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of statuses()) this.set({ account: s.accountId, broker: s.broker }, s.state === 'login_required' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'tokens_human_deadline_timestamp_seconds',
    help: 'When bots stop unless a human logs in (unix seconds).',
    labelNames: labels,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of statuses()) if (s.humanDeadline) this.set({ account: s.accountId, broker: s.broker }, s.humanDeadline.at / 1000);
    },
  });
  new Gauge({
    name: 'tokens_account_state',
    help: '1 for the state the account is in.',
    labelNames: [...labels, 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of statuses()) this.set({ account: s.accountId, broker: s.broker, state: s.state }, 1);
    },
  });
  new Gauge({
    name: 'tokens_refreshes',
    help: 'Broker calls in flight, queued behind engine.maxConcurrentRefreshes, and that limit.',
    labelNames: ['status'],
    registers: [registry],
    collect() {
      const q = getManager()?.refreshQueue();
      if (!q) return;
      this.set({ status: 'active' }, q.active);
      this.set({ status: 'queued' }, q.queued);
      this.set({ status: 'limit' }, q.limit);
    },
  });
  const refreshTotal = new Counter({ name: 'tokens_refresh_total', help: 'Refresh attempts by result.', labelNames: [...labels, 'result'], registers: [registry] });
  const refreshDuration = new Histogram({
    name: 'tokens_refresh_duration_seconds',
    help: 'Time from taking the lock to a stored token (or failure).',
    labelNames: labels,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const alertsTotal = new Counter({ name: 'tokens_alerts_total', help: 'Alert deliveries by severity and result.', labelNames: [...labels, 'severity', 'result'], registers: [registry] });
  const sinkTotal = new Counter({ name: 'tokens_sink_deliveries_total', help: 'Token sink deliveries by result.', labelNames: ['account', 'sink', 'result'], registers: [registry] });

  return {
    registry,
    refresh(e: { accountId: string; broker: string; ok: boolean; adopted: boolean; durationMs: number }) {
      const l = { account: e.accountId, broker: e.broker };
      refreshTotal.inc({ ...l, result: e.ok ? (e.adopted ? 'adopted' : 'success') : 'failure' });
      if (!e.adopted) refreshDuration.observe(l, e.durationMs / 1000);
    },
    alert(e: { accountId?: string; broker?: string; severity: string; delivered: boolean }) {
      alertsTotal.inc({ account: e.accountId ?? '', broker: e.broker ?? '', severity: e.severity, result: e.delivered ? 'delivered' : 'failed' });
    },
    sink(e: { accountId: string; sink: string; ok: boolean }) {
      sinkTotal.inc({ account: e.accountId, sink: e.sink, result: e.ok ? 'ok' : 'failed' });
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
