import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidConfigError } from '@tokens/core';
import { loadConfigFile, type LoadedConfig } from '../config/load';
import { startDaemon, type Daemon } from '../daemon';
import { createLogger } from '../logger';
import { runningHeap, startupOldGeneration } from './startup-heap';

/** The dashboard build shipped inside the daemon package (dist/dashboard), when present. */
function dashboardDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, 'dashboard'), join(here, '..', 'dist', 'dashboard')]) {
    if (existsSync(join(candidate, 'index.html'))) return candidate;
  }
  return undefined;
}

/** `tokens start`: runs until SIGTERM/SIGINT; SIGHUP reloads the config file. */
export async function runStart(o: { config?: string; sandbox: boolean }): Promise<number> {
  startupOldGeneration();
  const port = Number(process.env.TOKENS_SANDBOX_PORT) || undefined;
  // The fake brokers are loaded only for --sandbox.
  const sandbox = o.sandbox ? await (await import('../sandbox')).startSandbox(port ? { port } : {}) : undefined;
  const loaded: LoadedConfig = sandbox ? sandbox.loaded : loadConfigFile(o.config ?? process.env.TOKENS_CONFIG ?? 'tokens.yaml');
  const logger = createLogger({ level: loaded.config.log.level, ...(loaded.config.log.pretty !== undefined ? { pretty: loaded.config.log.pretty } : {}) });
  const staticDir = dashboardDir();
  let daemon: Daemon;
  try {
    daemon = await startDaemon({ loaded, logger, ...(sandbox ? { fetch: sandbox.fetch } : {}), ...(staticDir ? { staticDir } : {}) });
  } catch (error) {
    await sandbox?.close();
    throw error;
  }
  runningHeap();
  if (sandbox) sandbox.announce(daemon);

  process.on('SIGHUP', () => {
    if (!loaded.path) return logger.warn({}, 'SIGHUP ignored: no config file to reload');
    try {
      const next = loadConfigFile(loaded.path);
      daemon.reload(next).catch((error: unknown) => logger.error({ code: (error as { code?: string }).code }, `reload rejected, old config kept: ${(error as Error).message}`));
    } catch (error) {
      const message = InvalidConfigError.isInstance(error) ? error.message : (error as Error).message;
      logger.error({}, `reload rejected, old config kept: ${message}`);
    }
  });
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      // A hard deadline: whatever still runs after 10 s must not keep the process up.
      setTimeout(() => process.exit(1), 10_000).unref();
      void daemon
        .stop()
        .then(() => sandbox?.close())
        .finally(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}
