export { createFakeClock, type FakeClock } from './fake-clock';
export { createMemoryAlertSink, type MemoryAlertSink } from './memory-alert-sink';
export {
  createMockBrokerAdapter,
  MockBrokerAdapter,
  type MockBehaviour,
  type MockStep,
  type MockBrokerAdapterOptions,
} from './mock-broker-adapter';
