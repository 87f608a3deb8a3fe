import { createInterface } from 'node:readline';
import type { LoadedConfig } from '../config/load';
import { api, type DaemonEndpoint } from './client';
import { withDirectManager } from './direct';
import { signState } from '@tokens/alerts';
import { randomBytes } from 'node:crypto';
import { createSystemClock } from '@tokens/core';

const clock = createSystemClock();

const EXIT = { ok: 0, failed: 1, loginRequired: 4 } as const;

/** Resolves with the first line typed or piped on stdin, or never when stdin is closed/empty. */
function readLine(prompt: string): { promise: Promise<string>; close: () => void } {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: Boolean(process.stdin.isTTY) });
  const promise = new Promise<string>((resolve) => {
    rl.question(prompt, (answer) => resolve(answer.trim()));
  });
  return { promise, close: () => rl.close() };
}

/**
 * `tokens login ACCOUNT`: prints the URL; finishes when the daemon's callback completes the login
 * (polled), or when the human pastes the redirected URL / request token here.
 */
export async function runLogin(o: { loaded: LoadedConfig; daemon?: DaemonEndpoint; account: string; paste?: string }): Promise<number> {
  const id = encodeURIComponent(o.account);
  if (!o.daemon) {
    // No daemon: the CLI does the exchange itself (the human pastes the redirect).
    return withDirectManager(o.loaded, o.account, async (m) => {
      const url = await m.authorizeUrl(o.account, { state: signState({ secret: randomBytes(32).toString('hex'), accountId: o.account, expiresAt: clock.now() + 900_000 }) });
      process.stdout.write(`Open this URL and log in:\n\n  ${url}\n\n`);
      const pasted = o.paste ?? (await readLine('Paste the redirected URL (or request token) and press Enter: ').promise);
      const status = await m.completeLogin(o.account, { pasted });
      process.stdout.write(`${o.account}: ${status.state}\n`);
      return status.state === 'valid' ? EXIT.ok : EXIT.failed;
    });
  }
  const daemon = o.daemon;
  if (o.paste !== undefined) {
    const status = await api<{ state: string }>(daemon, 'POST', `/v1/accounts/${id}/login/complete`, { pasted: o.paste });
    process.stdout.write(`${o.account}: ${status.state}\n`);
    return status.state === 'valid' ? EXIT.ok : EXIT.failed;
  }
  const start = await api<{ url: string; expiresAt: number }>(daemon, 'POST', `/v1/accounts/${id}/login`);
  const before = await api<{ version?: number }>(daemon, 'GET', `/v1/accounts/${id}`);
  process.stdout.write(`Open this URL and log in (valid until ${new Date(start.expiresAt).toISOString()}):\n\n  ${start.url}\n\n`);
  process.stdout.write('Waiting for the broker to redirect back to the daemon…\n');
  const line = readLine('…or paste the redirected URL (or request token) here and press Enter: ');
  let done = false;
  const viaPaste = line.promise.then(async (pasted) => {
    if (done || !pasted) return undefined;
    return api<{ state: string }>(daemon, 'POST', `/v1/accounts/${id}/login/complete`, { pasted });
  });
  const viaCallback = (async () => {
    while (!done && clock.now() < start.expiresAt) {
      await new Promise((r) => setTimeout(r, 1_000));
      const s = await api<{ state: string; version?: number }>(daemon, 'GET', `/v1/accounts/${id}`);
      if (s.version !== before.version && s.state === 'valid') return s;
    }
    return undefined;
  })();
  const status = await Promise.race([viaPaste, viaCallback]);
  done = true;
  line.close();
  if (!status) {
    process.stdout.write(`${o.account}: login not completed\n`);
    return EXIT.loginRequired;
  }
  process.stdout.write(`\n${o.account}: ${status.state}\n`);
  return status.state === 'valid' ? EXIT.ok : EXIT.failed;
}
