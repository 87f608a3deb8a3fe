export {
  sendHtml,
  sendJson,
  startLoopbackServer,
  type LoopbackHandler,
  type LoopbackServer,
  type LoopbackServerOptions,
  type RecordedRequest,
  type TimedRecordedRequest,
} from './test-server';
export type { FakeBrokerServer, FakeFaultMode, FakeFaultOptions } from './fake-broker';
