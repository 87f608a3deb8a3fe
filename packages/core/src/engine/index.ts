export { createTokenManager, isAuthError, type TokenManager, type WithTokenOptions } from './token-manager';
export { createAlertDispatcher, type AlertDispatcher, type AlertInput, type SinkStatus } from './alert-dispatcher';
export { DEFAULT_ESCALATION, humanDeadline } from './escalation';
export { DEFAULT_BACKOFF, DEFAULT_REFRESH_AHEAD, backoffDelay, compileSchedule, refreshAheadAt, routineRefreshAt } from './schedule';
export type * from './types';
