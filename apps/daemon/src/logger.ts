import pino, { type Logger } from 'pino';

// Belt and braces: secrets are Secret values that print as [redacted] anyway; these paths catch
// plain strings that slip into a log object under a telling name.
const REDACT = [
  'token',
  'accessToken',
  'refreshToken',
  'apiToken',
  'authorization',
  'password',
  'secret',
  'pin',
  'mpin',
  'totp',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.apiToken',
  '*.authorization',
  '*.password',
  '*.secret',
  '*.pin',
  '*.mpin',
  '*.totp',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
];

export interface LoggerOptions {
  level?: string;
  /** Pretty output for humans; default: when stdout is a TTY. */
  pretty?: boolean;
  /** Where JSON lines go (tests pass a stream). Default stdout. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const pretty = options.pretty ?? Boolean(process.stdout.isTTY);
  const base = { level: options.level ?? 'info', redact: { paths: REDACT, censor: '[redacted]' }, base: { service: 'tokens' } };
  if (options.destination) return pino(base, options.destination as pino.DestinationStream);
  if (pretty) return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss' } } });
  return pino(base);
}
