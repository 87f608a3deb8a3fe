import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidConfigError } from '@tokens/core';
import { canaryCheck } from '@tokens/test-suite';
import type { SendMailOptions } from 'nodemailer';
import { AlertDeliveryError, createEmailAlertSink, createFileAlertSink, formatAlert } from '../src/index';
import { loginAlert } from './helpers/alerts';
import { emailHarness, emailText, SMTP_PASS, SMTP_USER, type Harness } from './helpers/harnesses';
import { decodeHeader, findPart, parseMime, startSmtpReceiver, type SmtpReceiver } from './helpers/receivers';

const PASS_CANARIES = [SMTP_PASS, Buffer.from(SMTP_PASS).toString('base64'), Buffer.from(`\u0000${SMTP_USER}\u0000${SMTP_PASS}`).toString('base64')];

let h: Harness<SmtpReceiver> | undefined;
let extra: SmtpReceiver | undefined;
afterEach(async () => {
  await h?.sink.close?.();
  await h?.close();
  await extra?.close();
  h = undefined;
  extra = undefined;
});

async function rejection(p: Promise<unknown>): Promise<AlertDeliveryError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(AlertDeliveryError.isInstance(error), `an AlertDeliveryError, got ${String(error)}`).toBe(true);
  expect(canaryCheck(PASS_CANARIES, error)).toEqual([]);
  return error as AlertDeliveryError;
}

describe('email', () => {
  it('logs in and sends a text and an HTML part with a severity-prefixed subject', async () => {
    h = await emailHarness();
    const alert = loginAlert();
    await h.sink.send(alert);
    expect(h.receiver.logins).toEqual([{ user: SMTP_USER, ok: true }]);
    const [message] = h.receiver.messages;
    expect(message!.from).toBe('alerts@example.com');
    expect(message!.to).toEqual(['trader@example.com']);
    const mime = parseMime(message!.raw);
    expect(decodeHeader(mime.headers.subject!)).toBe('[CRITICAL] schwab-main (schwab): human login needed');
    expect(mime.headers.from).toBe('tokens <alerts@example.com>');
    expect(mime.headers['x-tokens-alert-id']).toBe('alert-0001');
    expect(mime.headers['x-tokens-severity']).toBe('critical');
    expect(mime.headers['x-tokens-kind']).toBe('login_required');
    expect(mime.headers['x-priority']).toBe('1 (Highest)');
    expect(mime.headers['content-type']).toMatch(/^multipart\/alternative/);
    expect(emailText(message!)).toBe(formatAlert(alert).text);
    const html = findPart(mime, 'text/html')!.body;
    expect(html).toContain('href="https://tokens.example.com/login/schwab-main?s=v1.abc.def"');
    expect(html).toContain('>🔑 schwab-main (schwab): human login needed</h2>');
  });

  it('a wrong password is not retryable, says what to fix, and never shows the password', async () => {
    extra = await startSmtpReceiver({ user: SMTP_USER, pass: 'something-else-entirely' });
    const sink = createEmailAlertSink({
      smtp: { host: extra.host, port: extra.port, auth: { user: SMTP_USER, pass: SMTP_PASS }, timeoutMs: 5_000 },
      from: 'alerts@example.com',
      to: 'trader@example.com',
    });
    const error = await rejection(sink.send(loginAlert()));
    await sink.close?.();
    expect(error).toMatchObject({ code: 'ALERT_CHANNEL_REJECTED', isRetryable: false, needsHuman: true, channel: 'email' });
    expect(error.message).toContain(`the SMTP server ${extra.host}:${extra.port} rejected the login`);
    expect(error.message).toContain('Fix `smtp.auth.user` / `smtp.auth.pass`');
  });

  it('a 4xx reply is retryable; a rejected recipient (5xx) is not; an unreachable server is retryable', async () => {
    h = await emailHarness();
    h.receiver.fail('server-error');
    expect(await rejection(h.sink.send(loginAlert()))).toMatchObject({ code: 'ALERT_CHANNEL_UNAVAILABLE', isRetryable: true, statusCode: 451 });

    extra = await startSmtpReceiver({ rejectRecipients: ['nobody@example.com'] });
    const strict = createEmailAlertSink({ smtp: { host: extra.host, port: extra.port, timeoutMs: 5_000 }, from: 'a@example.com', to: 'nobody@example.com' });
    const rejected = await rejection(strict.send(loginAlert()));
    expect(rejected).toMatchObject({ code: 'ALERT_MESSAGE_REJECTED', isRetryable: false, statusCode: 550 });
    expect(rejected.message).toContain('Check `from` and `to`.');
    await extra.close();
    const down = await rejection(strict.send(loginAlert()));
    expect(down).toMatchObject({ code: 'ALERT_CHANNEL_UNAVAILABLE', isRetryable: true });
    await strict.close?.();
  });

  it('takes an injected transport and keeps newlines out of the subject', async () => {
    const sent: SendMailOptions[] = [];
    const sink = createEmailAlertSink({ transport: { sendMail: async (m) => void sent.push(m) }, from: 'a@example.com', to: ['b@example.com', 'c@example.com'] });
    await sink.send(loginAlert({ severity: 'info', title: 'line one\nBcc: evil@example.com' }));
    expect(sent[0]).toMatchObject({ from: 'a@example.com', to: ['b@example.com', 'c@example.com'], subject: '[INFO] line one Bcc: evil@example.com' });
    expect(sent[0]!.priority).toBeUndefined();
  });

  it('refuses settings without a server or recipients', () => {
    expect(() => createEmailAlertSink({ from: 'a@example.com', to: 'b@example.com' })).toThrow(InvalidConfigError);
    expect(() => createEmailAlertSink({ smtp: { host: 'smtp.example.com' }, from: 'a@example.com', to: [] })).toThrow(/to/);
  });
});

describe('file', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('appends one JSON line per alert to a 0600 file in a 0700 directory, and never truncates', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tokens-alerts-file-'));
    const path = join(dir, 'nested', 'alerts.jsonl');
    const sink = createFileAlertSink({ path, fsync: true });
    const a = loginAlert();
    const b = loginAlert({ id: 'alert-0002', kind: 'refresh_recovered', severity: 'info', action: undefined });
    await Promise.all([sink.send(a), sink.send(b)]);
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(JSON.parse(lines[0]!)).toEqual({ time: '2026-01-05T14:00:00.000Z', ...a, text: formatAlert(a).text });
    expect(JSON.parse(lines[1]!).id).toBe('alert-0002');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'nested')).mode & 0o777).toBe(0o700);
    await createFileAlertSink({ path }).send(loginAlert({ id: 'alert-0003' }));
    expect(readFileSync(path, 'utf8').split('\n').filter(Boolean)).toHaveLength(3);
  });

  it('tightens an existing file that others could read', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tokens-alerts-file-'));
    const path = join(dir, 'alerts.jsonl');
    writeFileSync(path, '');
    chmodSync(path, 0o644);
    await createFileAlertSink({ path }).send(loginAlert());
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('a path that cannot be a file is a settings problem, not retried', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tokens-alerts-file-'));
    mkdirSync(join(dir, 'is-a-dir'));
    const error = await createFileAlertSink({ path: join(dir, 'is-a-dir') }).send(loginAlert()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ALERT_CHANNEL_REJECTED', isRetryable: false });
    expect((error as Error).message).toContain('(EISDIR). Fix `path`');
  });
});
