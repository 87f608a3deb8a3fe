import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createFileTokenStore } from '../src/stores/file';
import { Secret } from '../src/secret';

const work = mkdtempSync(join(tmpdir(), 'tokens-mp-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

it('several processes sharing a file store refresh an expired token with exactly one broker call and end with the same token', async () => {
  // The broker: rotates the refresh token on every call and rejects a used one, like Schwab/Dhan.
  const requests: string[] = [];
  let current = 'refresh-0';
  let n = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      requests.push(body);
      const presented = new URLSearchParams(body).get('refresh_token');
      if (presented !== current) {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_grant"}');
        return;
      }
      n++;
      current = `refresh-${n}`;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: `access-${n}`, refresh_token: current, expires_in: 1800 }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const store = createFileTokenStore({ dir: join(work, 'store') });
  const past = Date.now() - 3_600_000;
  await store.put('shared', { broker: 'loopback', tokenSet: { accessToken: new Secret('access-0'), refreshToken: new Secret('refresh-0'), issuedAt: past, expiresAt: past + 1_800_000 } }, { expectedVersion: 0 });

  const workers = Array.from({ length: 4 }, () => fork(join(__dirname, 'fixtures', 'multi-process-worker.mjs'), [work, url], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  // A worker that dies early fails the test at once instead of hanging it.
  const next = (w: (typeof workers)[number]) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`worker exited early with code ${code}`));
      w.once('exit', onExit);
      w.once('message', (m) => {
        w.off('exit', onExit);
        resolve(m as Record<string, unknown>);
      });
    });
  await Promise.all(workers.map(next));
  const results = Promise.all(workers.map(next));
  for (const w of workers) w.send('go');
  const answers = await results;
  server.close();

  expect(answers.map((a) => a.error)).toEqual([undefined, undefined, undefined, undefined]);
  expect(requests).toHaveLength(1);
  expect(new Set(answers.map((a) => a.token))).toEqual(new Set(['access-1']));
  const stored = await store.get('shared');
  expect(stored?.version).toBe(2);
  expect(stored?.tokenSet.refreshToken?.reveal()).toBe('refresh-1');
  await store.close?.();
});
