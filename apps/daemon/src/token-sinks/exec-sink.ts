import { spawn } from 'node:child_process';
import type { SinkDelivery, TokenSink } from './types';

export interface ExecSinkOptions {
  command: string | string[];
  timeoutMs: number;
  /** Base environment of the hook (default: the daemon's). */
  environment?: NodeJS.ProcessEnv;
}

/**
 * Runs a command for each new token. The token travels in the environment
 * (`TOKENS_ACCESS_TOKEN`), never in argv, where any user on the host could read it.
 */
export function createExecSink(o: ExecSinkOptions): TokenSink {
  const label = Array.isArray(o.command) ? o.command[0]! : o.command.split(/\s+/)[0]!;
  return {
    name: `exec:${label}`,
    type: 'exec',
    write(d: SinkDelivery, signal) {
      const t = d.tokenSet;
      const env: NodeJS.ProcessEnv = {
        ...(o.environment ?? process.env),
        TOKENS_ACCOUNT: d.accountId,
        TOKENS_BROKER: d.broker,
        TOKENS_VERSION: String(d.version),
        TOKENS_ACCESS_TOKEN: t.accessToken.reveal(),
        TOKENS_EXPIRES_AT: String(Math.floor(t.expiresAt / 1000)),
      };
      if (t.refreshToken) env.TOKENS_REFRESH_TOKEN = t.refreshToken.reveal();
      return new Promise<void>((resolve, reject) => {
        const child = Array.isArray(o.command)
          ? spawn(o.command[0]!, o.command.slice(1), { env, stdio: ['ignore', 'ignore', 'ignore'], signal })
          : spawn(o.command, { env, shell: true, stdio: ['ignore', 'ignore', 'ignore'], signal });
        const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs);
        child.on('error', (error: NodeJS.ErrnoException) => {
          clearTimeout(timer);
          reject(new Error(`hook ${label} could not run (${error.code ?? error.name})`));
        });
        child.on('exit', (code, sig) => {
          clearTimeout(timer);
          if (code === 0) resolve();
          else reject(new Error(sig ? `hook ${label} was killed (${sig})` : `hook ${label} exited with code ${code}`));
        });
      });
    },
  };
}
