import { parseArgs } from 'node:util';
import { InvalidConfigError, TokensError } from '@tokens/core';
import { runLogin } from './cli/login';
import { printStatus } from './cli/print';
import { api, ApiError, findDaemon } from './cli/client';
import { directStatus, withDirectManager } from './cli/direct';
import { runStart } from './cli/start';
import { loadConfigFile } from './config/load';
import { VERSION } from './version';

/** Exit codes, documented in the README. */
export const EXIT = { ok: 0, failed: 1, config: 2, unavailable: 3, loginRequired: 4 } as const;

const HELP: Record<string, string> = {
  main: `tokens ${VERSION} — keeps broker API sessions alive 24/7

Usage: tokens <command> [options]

Commands:
  start [--config FILE] [--sandbox]   run the daemon (sandbox: fake brokers, no credentials)
  status [--json]                     every account's state, expiry and next step
  refresh ACCOUNT                     refresh now
  validate ACCOUNT                    probe the broker with the current token
  login ACCOUNT [--paste TEXT]        print the login URL; finish by callback or paste
  config check FILE                   validate a config file

Options: --config FILE (default ./tokens.yaml or $TOKENS_CONFIG), --url URL, --token TOKEN,
         --help, --version
Exit codes: 0 ok, 1 failed, 2 invalid configuration or usage, 3 daemon/store unavailable,
            4 a human login is still required`,
  start: `tokens start [--config FILE] [--sandbox]

Runs the daemon in the foreground. --sandbox starts the five fake brokers on loopback with
short token lifetimes and a throwaway store, and prints the dashboard URL and API token.
Signals: SIGHUP reloads the config, SIGTERM/SIGINT stop gracefully.`,
  status: `tokens status [--json] [--config FILE]

Shows each account's state, token expiry, next refresh and human deadline. Talks to the running
daemon, or reads the store directly when none runs.`,
  refresh: `tokens refresh ACCOUNT [--config FILE]

Refreshes the account now (through the daemon, or directly on the store).`,
  validate: `tokens validate ACCOUNT [--config FILE]

Probes the broker with the current token; an invalid token triggers a refresh.`,
  login: `tokens login ACCOUNT [--paste TEXT] [--config FILE]

Prints the broker's login URL. Finish in the browser (the daemon's callback completes it), or
paste the redirected URL / request token here (headless machines), or pass it with --paste.`,
  config: `tokens config check FILE

Validates a config file, including every broker's settings. Exit 0 when valid, 2 when not.`,
};

function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function configPath(value: string | undefined): string {
  return value ?? process.env.TOKENS_CONFIG ?? 'tokens.yaml';
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string', short: 'c' },
      sandbox: { type: 'boolean' },
      json: { type: 'boolean' },
      paste: { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  if (!command || values.help) {
    process.stdout.write(`${HELP[command ?? 'main'] ?? HELP.main}\n`);
    return command && !HELP[command] ? EXIT.config : EXIT.ok;
  }

  if (command === 'start') return runStart({ config: values.config, sandbox: values.sandbox === true });

  if (command === 'config') {
    if (rest[0] !== 'check' || !rest[1]) fail(`usage: tokens config check FILE`, EXIT.config);
    const loaded = loadConfigFile(rest[1]);
    const { buildAccounts } = await import('./accounts');
    const { createSystemClock } = await import('@tokens/core');
    buildAccounts(loaded.config, createSystemClock());
    process.stdout.write(`${rest[1]}: valid (${Object.keys(loaded.config.accounts).length} accounts)\n`);
    return EXIT.ok;
  }

  const loaded = loadConfigFile(configPath(values.config));
  const daemon = await findDaemon(loaded, { ...(values.url ? { url: values.url } : {}), ...(values.token ? { token: values.token } : {}) });
  const account = rest[0];
  const needAccount = () => account ?? fail(`usage: tokens ${command} ACCOUNT`, EXIT.config);

  switch (command) {
    case 'status': {
      const accounts = daemon ? (await api<{ accounts: Parameters<typeof printStatus>[0] }>(daemon, 'GET', '/v1/accounts')).accounts : await directStatus(loaded);
      if (values.json) process.stdout.write(`${JSON.stringify({ source: daemon ? 'daemon' : 'store', accounts }, null, 2)}\n`);
      else printStatus(accounts, daemon ? `daemon at ${daemon.url}` : 'store (no daemon running)');
      return accounts.some((a) => a.state === 'login_required') ? EXIT.loginRequired : EXIT.ok;
    }
    case 'refresh': {
      const id = needAccount();
      const status = daemon
        ? await api<{ state: string; expiresAt?: number }>(daemon, 'POST', `/v1/accounts/${encodeURIComponent(id)}/refresh`)
        : await withDirectManager(loaded, id, (m) => m.refresh(id, { force: true }));
      process.stdout.write(`${id}: ${status.state}${status.expiresAt ? `, expires ${new Date(status.expiresAt).toISOString()}` : ''}\n`);
      return status.state === 'valid' ? EXIT.ok : status.state === 'login_required' ? EXIT.loginRequired : EXIT.failed;
    }
    case 'validate': {
      const id = needAccount();
      const result = daemon
        ? (await api<{ result: { valid: boolean; reason?: string } }>(daemon, 'POST', `/v1/accounts/${encodeURIComponent(id)}/validate`)).result
        : await withDirectManager(loaded, id, (m) => m.validate(id));
      process.stdout.write(`${id}: ${result.valid ? 'valid' : `invalid${result.reason ? ` (${result.reason})` : ''}`}\n`);
      return result.valid ? EXIT.ok : EXIT.failed;
    }
    case 'login':
      return runLogin({ loaded, daemon, account: needAccount(), ...(values.paste !== undefined ? { paste: values.paste } : {}) });
    default:
      fail(`unknown command "${command}". Run tokens --help.`, EXIT.config);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== EXIT.ok || process.argv[2] !== 'start') process.exitCode = code;
  },
  (error: unknown) => {
    if (InvalidConfigError.isInstance(error)) fail(error.message, EXIT.config);
    if ((error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (error as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      fail(`${(error as Error).message}. Run tokens --help.`, EXIT.config);
    }
    if (error instanceof ApiError) fail(`${error.code}: ${error.message}`, error.status === 401 ? EXIT.config : error.code === 'LOGIN_REQUIRED' ? EXIT.loginRequired : EXIT.failed);
    if ((error as { exitCode?: number }).exitCode) fail((error as Error).message, (error as { exitCode: number }).exitCode);
    if (TokensError.isInstance(error)) fail(`${error.code}: ${error.message}`, error.needsHuman ? EXIT.loginRequired : EXIT.failed);
    fail(error instanceof Error ? error.message : String(error), EXIT.failed);
  },
);
