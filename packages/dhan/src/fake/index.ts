export {
  FAKE_DHAN_APP,
  FAKE_DHAN_CLIENT,
  startFakeDhan,
  type FakeDhanEndpoint,
  type FakeDhanFaultOptions,
  type FakeDhanOptions,
  type FakeDhanServer,
  type FakeDhanToken,
} from './dhan-fake';
export type { FakeDhanApp, FakeDhanClient, FakeTokenSource } from './fake-state';
export { base32Decode, hotp, totpAt, verifyTotp } from './fake-totp';
export type { FakeBrokerServer, FakeFaultMode, FakeFaultOptions, RecordedRequest } from '@tokens/broker-utils/testing';
