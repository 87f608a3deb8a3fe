import type { ClockV1 } from '../contracts/clock';
import type { LockV1 } from '../contracts/lock';
import type { LoggerV1 } from '../contracts/logger';
import type { TokenStoreV1 } from '../contracts/token-store';
import type { MarketCalendar } from '../calendar';
import type { AlertDispatcher } from './alert-dispatcher';
import type { createEmitter } from './emitter';
import type { RefreshSlots } from './refresh-slots';
import type { BackoffConfig, EscalationLevel, RefreshAheadConfig, TokenManagerEvents } from './types';

/** What every account runtime shares inside one manager. Nothing here is global. */
export interface EngineContext {
  store: TokenStoreV1;
  lock: LockV1;
  clock: ClockV1;
  logger: LoggerV1;
  calendar?: MarketCalendar;
  random: () => number;
  dispatcher: AlertDispatcher;
  emitter: ReturnType<typeof createEmitter<TokenManagerEvents>>;
  refreshAhead: RefreshAheadConfig;
  backoff: BackoffConfig;
  escalation: EscalationLevel[];
  loginLink?: (accountId: string) => string | undefined;
  expirySkewMs: number;
  refreshTimeoutMs: number;
  lockTtlMs: number;
  slots: RefreshSlots;
  notifyOnRefresh: boolean;
}

export const noopLogger: LoggerV1 = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
