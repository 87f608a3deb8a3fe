import type { SinkConfig } from '../config/schema';
import { createExecSink } from './exec-sink';
import { createEnvSink, createJsonFileSink, createRawFileSink, createSchwabPySink } from './file-sinks';
import { createSocketPushSink } from './socket-sink';
import type { TokenSink } from './types';

export { createSinkRunner, type SinkRunner } from './runner';
export type { SinkDelivery, SinkStatus, TokenSink } from './types';
export { updateEnvText, tokenDocument } from './file-sinks';

/** Builds a sink from its (already validated, paths resolved) config entry. */
export function createTokenSink(config: SinkConfig): TokenSink {
  switch (config.type) {
    case 'json-file':
      return createJsonFileSink(config.path);
    case 'raw':
      return createRawFileSink(config.path);
    case 'schwab-py':
      return createSchwabPySink(config.path);
    case 'env':
      return createEnvSink(config);
    case 'unix-socket':
      return createSocketPushSink({ path: config.path, tries: config.tries, intervalMs: config.interval, timeoutMs: config.timeout });
    case 'exec':
      return createExecSink({ command: config.command, timeoutMs: config.timeout });
  }
}
