export { startFakeKite, type FakeKiteApp, type FakeKiteFailure, type FakeKiteOptions, type FakeKiteServer } from './fake-kite';
export type { FakeKiteSession } from './fake-kite-state';
export type { FakeKiteUser, KiteErrorType } from './fake-kite-bodies';
