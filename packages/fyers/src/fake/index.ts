export {
  startFakeFyers,
  type FakeFyersFaultMode,
  type FakeFyersRequest,
  type FakeFyersServer,
  type FakeFyersSession,
  type FakeTokenStatus,
  type StartFakeFyersOptions,
} from './fake-fyers';
export { FAKE_FYERS_ANSWERS, FAKE_FYERS_DEFAULTS, fakeProfile, type Answer } from './fake-answers';
