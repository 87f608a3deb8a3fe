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
    expect(issuesOf(() => loadConfigFile(join(dir, 'bad.yaml')))[0]).toMatch(/^\(file\): .*bad\.yaml is not valid YAML/);
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
