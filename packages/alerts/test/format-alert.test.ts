import { describe, expect, it } from 'vitest';
import { ALERT_KINDS, describeKind, formatAlert } from '../src/index';
import { loginAlert } from './helpers/alerts';

describe('formatAlert', () => {
  it('says what happened, when bots stop, what to do, which account, and gives the link', () => {
    expect(formatAlert(loginAlert()).text).toBe(
      [
        '🔑 schwab-main (schwab): human login needed',
        'The refresh token was revoked. Automatic renewal has stopped until someone logs in.',
        '',
        'Bots stop: Mon 09:30 ET',
        'What to do: Tap the login link below; renewal resumes on its own afterwards.',
        'Account: schwab-main · schwab',
        '',
        'Log in: https://tokens.example.com/login/schwab-main?s=v1.abc.def',
      ].join('\n'),
    );
  });

  it('shows Indian brokers in IST, honours an explicit zone, and falls back to UTC for a bad one', () => {
    const fyers = loginAlert({ broker: 'fyers', accountId: 'fyers-1' });
    expect(formatAlert(fyers).details[0]).toBe('Bots stop: Mon 20:00 IST');
    expect(formatAlert(fyers, { timeZone: 'UTC' }).details[0]).toBe('Bots stop: Mon 14:30 UTC');
    expect(formatAlert(fyers, { timeZone: 'Not/AZone' }).details[0]).toBe('Bots stop: Mon 14:30 UTC');
  });

  it('leaves out what the alert does not have, and deadline alerts do not repeat their deadline', () => {
    const bare = formatAlert(loginAlert({ kind: 'refresh_recovered', severity: 'info', action: undefined, accountId: undefined, broker: undefined, deadline: undefined }));
    expect(bare.text).toBe('✅ schwab-main (schwab): human login needed\nThe refresh token was revoked. Automatic renewal has stopped until someone logs in.');
    expect(bare.action).toBeUndefined();
    const deadline = formatAlert(loginAlert({ kind: 'deadline' }));
    expect(deadline.details.some((d) => d.startsWith('Bots stop'))).toBe(false);
  });

  it('has an emoji and a label for every kind the engine emits, and a severity fallback for new ones', () => {
    for (const kind of ['deadline', 'login_required', 'invalid_credentials', 'refresh_failed', 'refresh_recovered', 'expired', 'persist_failed', 'store_error']) {
      expect(ALERT_KINDS).toHaveProperty(kind);
    }
    expect(describeKind('disk_full', 'critical')).toEqual({ emoji: '🚨', label: 'disk full' });
    expect(describeKind('disk_full', 'info').emoji).toBe('ℹ️');
    expect(formatAlert(loginAlert({ kind: 'invalid_credentials' })).details).toContain(
      'What to do: Fix the secret, PIN or TOTP seed in the tokens config, then reload the daemon.',
    );
  });
});
