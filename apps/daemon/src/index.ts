export { startDaemon, type Daemon, type DaemonOptions } from './daemon';
export { loadConfigFile, parseConfig, type LoadedConfig } from './config/load';
export { configSchema, type DaemonConfig } from './config/schema';
export { createLogger } from './logger';
export { updateEnvText } from './token-sinks';
export { startSandbox } from './sandbox';
