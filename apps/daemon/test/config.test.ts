import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDuration } from '../src/config/duration';
import { loadConfigFile, parseConfig } from '../src/config/load';
import { escalationLevels } from '../src/config/escalation';

const dir = mkdtempSync(join(tmpdir(), 'tokens-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const issuesOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (error) {
    return ((error as { issues?: Array<{ path: string; message: string }> }).issues ?? []).map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected a config error');
};

describe('config', () => {
  it('parses durations', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration(250)).toBe(250);
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseDuration('5 minutes')).toBeUndefined();
  });

  it('interpolates ${env:} and ${file:} secrets and resolves relative paths against the config file', () => {
    writeFileSync(join(dir, 'pin.txt'), '4321\n', { mode: 0o600 });
    const loaded = parseConfig(
      {
        store: { type: 'file', dir: './state' },
        http: { apiToken: '${env:TOKENS_TEST_API_TOKEN}' },
        accounts: { 'fyers-main': { broker: 'fyers', appId: 'ABC-100', pin: '${file:pin.txt}', sinks: [{ type: 'env', path: '.env', key: 'FYERS_ACCESS_TOKEN' }] } },
      },
      { baseDir: dir, environment: { TOKENS_TEST_API_TOKEN: 'a'.repeat(32) } },
    );
    expect(loaded.config.http.apiToken).toBe('a'.repeat(32));
    expect(loaded.config.accounts['fyers-main']!.pin).toBe('4321');
    expect(loaded.config.store).toEqual({ type: 'file', dir: join(dir, 'state') });
    expect(loaded.config.accounts['fyers-main']!.sinks[0]).toEqual({ type: 'env', path: join(dir, '.env'), key: 'FYERS_ACCESS_TOKEN' });
    expect(loaded.config.http.listen).toBe('127.0.0.1:7420');
  });

  it('names every offending field, the problem and the fix', () => {
    const issues = issuesOf(() =>
      parseConfig(
        {
          http: { listen: '0.0.0.0:7420' },
          alerts: [{ type: 'telegram', chatId: 1 }],
          engine: { maxConcurrentRefreshes: 0 },
          accounts: {
            'bad/id': { broker: 'fyers' },
            k: { broker: 'fyres', sinks: [{ type: 'env', path: '.env', key: '1BAD' }], escalation: ['soon'] },
            s: { broker: 'schwab', appSecret: '${env:MISSING_SCHWAB_SECRET}' },
          },
        },
        { baseDir: dir, environment: {} },
      ),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        'accounts.s.appSecret: environment variable MISSING_SCHWAB_SECRET is not set. Export it, or put the value in a file and use ${file:PATH}.',
        expect.stringMatching(/^alerts\[0\]\.botToken: /),
        expect.stringMatching(/^accounts\.k\.broker: broker must be one of: fyers, kite, dhan, schwab, kotak/),
        expect.stringMatching(/^accounts\.k\.sinks\[0\]\.key: must be a valid environment variable name/),
        expect.stringMatching(/^accounts\.k\.escalation\[0\]: escalation: "soon" is not a duration/),
        'engine.maxConcurrentRefreshes: use at least 1 (the default is 16)',
      ]),
    );
  });

  it('takes one Redis topology (url, sentinels + name, or cluster) and says which field to fix', () => {
    const redis = (store: object) => issuesOf(() => parseConfig({ store: { type: 'redis', ...store } }, { baseDir: dir }));
    expect(redis({})).toEqual([
      'store.url: is required: set url (one server, e.g. redis://127.0.0.1:6379), or sentinels + name (Sentinel), or cluster (a list of { host, port } nodes)',
    ]);
    expect(redis({ url: 'redis://127.0.0.1:6379', cluster: [{ host: '127.0.0.1', port: 7000 }] })).toEqual(['store.cluster: set only one of url, sentinels and cluster (found url and cluster)']);
    expect(redis({ sentinels: [{ host: '127.0.0.1', port: 26379 }] })).toEqual(['store.name: is required with sentinels: the master name the sentinels monitor, e.g. mymaster']);
    expect(redis({ url: 'redis://127.0.0.1:6379', name: 'mymaster' })).toEqual(['store.name: only applies with sentinels: add sentinels, or remove it']);
    expect(redis({ cluster: [{ host: '127.0.0.1', port: 70000 }] })[0]).toMatch(/^store\.cluster\[0\]\.port: /);
    expect(redis({ url: 'rediss://r.example:6380', tls: { cert: 'PEM' } })).toEqual([
      'store.tls.key: a client certificate needs both tls.cert and tls.key (e.g. ${file:/etc/tokens/redis-client.crt})',
    ]);
    writeFileSync(join(dir, 'redis-client.key'), 'KEY PEM\n', { mode: 0o600 });
    const loaded = parseConfig(
      { store: { type: 'redis', sentinels: [{ host: '10.0.0.5', port: 26379 }], name: 'mymaster', password: '${env:REDIS_PW}', tls: { ca: 'CA PEM', cert: 'CERT PEM', key: '${file:redis-client.key}' } } },
      { baseDir: dir, environment: { REDIS_PW: 'pw-canary' } },
    );
    expect(loaded.config.store).toMatchObject({ type: 'redis', name: 'mymaster', password: 'pw-canary', keyPrefix: 'tokens', tls: { key: 'KEY PEM' } });
  });

  it('refuses a non-loopback listener without an API token, and bad account ids', () => {
    expect(issuesOf(() => parseConfig({ http: { listen: '0.0.0.0:7420' } }, { baseDir: dir }))).toEqual([
      'http.apiToken: listening on 0.0.0.0:7420 (not loopback) needs an API token. Set http.apiToken: ${env:TOKENS_API_TOKEN}, or listen on 127.0.0.1.',
    ]);
    expect(issuesOf(() => parseConfig({ accounts: { '../x': { broker: 'kite' } } }, { baseDir: dir }))[0]).toMatch(/^accounts\.\.\.\/x: account ids use/);
  });

  it('reads YAML and reports unreadable or malformed files', () => {
    writeFileSync(join(dir, 'ok.yaml'), 'store:\n  type: file\n  dir: ./s\naccounts: {}\n');
    expect(loadConfigFile(join(dir, 'ok.yaml')).config.store).toEqual({ type: 'file', dir: join(dir, 's') });
    writeFileSync(join(dir, 'bad.yaml'), 'store: [unclosed\n');
    expect(issuesOf(() => loadConfigFile(join(dir, 'bad.yaml')))[0]).toMatch(/^\(file\): .*bad\.yaml is not valid YAML: .* \(2:1\)$/);
    // YAML 1.2 core schema: dates and "yes" stay strings, duplicate keys are an error.
    writeFileSync(join(dir, 'core.yaml'), 'accounts:\n  k:\n    broker: kite\n    label: 2026-01-26\n    apiKey: yes\n');
    expect(loadConfigFile(join(dir, 'core.yaml')).config.accounts.k).toMatchObject({ label: '2026-01-26', apiKey: 'yes' });
    writeFileSync(join(dir, 'dup.yaml'), 'log:\n  level: warn\n  level: info\n');
    expect(issuesOf(() => loadConfigFile(join(dir, 'dup.yaml')))[0]).toMatch(/dup\.yaml is not valid YAML: duplicated mapping key \(3:3\)$/);
    expect(issuesOf(() => loadConfigFile(join(dir, 'missing.yaml')))[0]).toMatch(/cannot read .*missing\.yaml \(ENOENT\)/);
  });

  it('maps escalation offsets to severities', () => {
    expect(escalationLevels([15 * 60_000, 24 * 3_600_000, 2 * 3_600_000])).toEqual([
      { beforeMs: 24 * 3_600_000, severity: 'info' },
      { beforeMs: 2 * 3_600_000, severity: 'warning' },
      { beforeMs: 15 * 60_000, severity: 'critical' },
    ]);
  });
});
