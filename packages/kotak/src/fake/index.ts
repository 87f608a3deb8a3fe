export {
  startFakeKotak,
  type FakeKotak,
  type FakeKotakCredentials,
  type FakeKotakOptions,
  type FakeKotakRequest,
  type FakeKotakSession,
  type FakeKotakStats,
} from './kotak-fake';
