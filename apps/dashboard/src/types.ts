// The daemon's API shapes, as the dashboard reads them: the engine's types from @tokens/core
// (type-only: nothing of core is bundled) plus the daemon's extras (apps/daemon/src/api/app.ts),
// `/api/token-status` (apps/daemon/src/api/token-status.ts) and the SSE events
// (apps/daemon/src/events.ts). None of them carries a secret.

import type { AccountStatus, AccountState, ErrorSummary, MarketState } from '@tokens/core';

export type { AccountState, ErrorSummary, HumanDeadline, MarketState } from '@tokens/core';

export const ACCOUNT_STATES: readonly AccountState[] = ['valid', 'refreshing', 'retrying', 'login_required', 'expired', 'missing'];

export interface SinkView {
  name: string;
  type: string;
  delivered: number;
  failed: number;
  lastDelivery?: { at: number; ok: boolean; version: number; error?: string };
}

/** An account as `GET /v1/accounts` returns it: the engine's status plus the daemon's extras. */
export interface AccountView extends Omit<AccountStatus, 'persistPending' | 'counters'> {
  label?: string;
  persistPending?: boolean;
  counters?: AccountStatus['counters'];
  sinks?: SinkView[];
}

export interface MarketView {
  status: MarketState;
  session: string;
  live: boolean;
  weekend?: boolean;
  next_open: string | null;
  next_close: string | null;
  holiday?: string;
}

export interface TokenStatusView {
  timestamp: string;
  ist_time: string;
  market: { NSE: MarketView; NYSE: MarketView };
  next_action: string;
}

export type EventType = 'token' | 'state' | 'alert' | 'sink';

export const EVENT_TYPES: readonly EventType[] = ['token', 'state', 'alert', 'sink'];

/** One SSE event. Only the fields the dashboard shows are named; the rest pass through. */
export interface DaemonEvent {
  id: number;
  at: number;
  type: EventType;
  accountId?: string;
  broker?: string;
  version?: number;
  expiresAt?: number;
  source?: string;
  from?: AccountState;
  to?: AccountState;
  error?: ErrorSummary | string;
  alertId?: string;
  kind?: string;
  severity?: 'info' | 'warning' | 'critical';
  delivered?: boolean;
  sink?: string;
  ok?: boolean;
}

export interface ValidateResponse {
  result: { valid: boolean; reason?: string; expiresAt?: number };
  status: AccountView;
}

export interface LoginStart {
  account: string;
  broker: string;
  kind: 'oauth-redirect' | 'paste';
  url: string;
  expiresAt: number;
}
