import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { InvalidConfigError } from '@tokens/core';
import { loadConfigFile, type LoadedConfig } from '../config/load';
import { startDaemon, type Daemon } from '../daemon';
import { createLogger } from '../logger';

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
  // A 24/7 daemon allocates steadily (HTTP, fetch, JSON) but keeps little: V8's default lets
  // the old generation grow to ~4× the live heap between full GCs (590 MB RSS at 10,000
  // accounts); 20 % growth keeps it near the live size for a few % of throughput. But startup
  // builds the whole live heap (10,000 accounts: ~100 MB), and 20 % at a time meant a dozen
  // full GCs on the way, a third of a 1.7 s start: 50 % until ready (1.3 s, same RSS after).
  const ownHeapGrowth = process.execArgv.some((a) => a.startsWith('--heap-growing-percent'));
  if (!ownHeapGrowth) setFlagsFromString('--heap-growing-percent=50');
  const ownGrowth = process.execArgv.some((a) => a.startsWith('--semi-space-growth-factor'));
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
  // Started: back to V8's default young-generation growth (cli.ts held it at ×1 until now).
  if (!ownGrowth) setFlagsFromString('--semi-space-growth-factor=2');
  if (!ownHeapGrowth) setFlagsFromString('--heap-growing-percent=20');
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
