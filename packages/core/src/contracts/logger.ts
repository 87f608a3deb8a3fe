/** The logging surface the engine uses; pino loggers satisfy it. */
export interface LoggerV1 {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
