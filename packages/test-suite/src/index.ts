export type { AssertionLike, DisableGroups, ExpectLike, Factory, TestContextLike, TestFunction } from './types';
export { canaryCheck, makeTokenSet, randomAccountId, type CanaryLeak } from './helpers';
export * from './token-store';
export * from './lock';
export * from './broker-adapter';
export * from './alert-sink';
export {
  createFakeClock,
  createMemoryAlertSink,
  createMockBrokerAdapter,
  MockBrokerAdapter,
  type FakeClock,
  type MemoryAlertSink,
  type MockBehaviour,
  type MockBrokerAdapterOptions,
} from '@tokens/core/testing';
export { runReadmeExample, type ReadmeExampleRun } from './readme-example';
