import { formatInZone, IST, NEW_YORK, type AlertSeverityV1, type AlertV1 } from '@tokens/core';

/** How a kind of alert looks in every channel and what the reader should do about it. */
export interface AlertKindInfo {
  emoji: string;
  /** Short name for humans, e.g. "Login needed". */
  label: string;
  /** "What to do" line; `undefined` when nothing is needed. */
  hint?: string;
  /** Hint used instead when the alert carries a one-tap action link. */
  hintWithAction?: string;
}

/**
 * The kinds the engine emits, plus the ones the daemon adds. Unknown kinds fall back to an
 * emoji by severity, so a new kind never breaks a channel.
 */
export const ALERT_KINDS = {
  deadline: {
    emoji: '⏰',
    label: 'Login due',
    hint: 'Log in to the broker from the tokens dashboard before the deadline.',
    hintWithAction: 'Tap the login link below before the deadline.',
  },
  login_required: {
    emoji: '🔑',
    label: 'Login needed',
    hint: 'Log in to the broker from the tokens dashboard; renewal resumes on its own afterwards.',
    hintWithAction: 'Tap the login link below; renewal resumes on its own afterwards.',
  },
  invalid_credentials: {
    emoji: '⛔',
    label: 'Credentials rejected',
    hint: 'Fix the secret, PIN or TOTP seed in the tokens config, then reload the daemon.',
  },
  refresh_failed: {
    emoji: '⚠️',
    label: 'Refresh failed',
    hint: 'Nothing yet: tokens retries on its own. Check the broker status if this repeats.',
  },
  retries_exhausted: {
    emoji: '🛑',
    label: 'Token died while retrying',
    hint: 'Bots are failing now. tokens keeps retrying; check the broker status and the credentials, or log in again.',
  },
  refresh_recovered: { emoji: '✅', label: 'Recovered' },
  refresh_succeeded: { emoji: '🔄', label: 'Refreshed' },
  expired: {
    emoji: '🛑',
    label: 'Token expired',
    hint: 'Log in to the broker from the tokens dashboard now.',
    hintWithAction: 'Tap the login link below now.',
  },
  persist_failed: {
    emoji: '💾',
    label: 'Token not saved',
    hint: 'Fix the token store (disk space, permissions, Redis) and keep this process running until it saves.',
  },
  store_error: {
    emoji: '🗄️',
    label: 'Store unreadable',
    hint: 'Check the token store; an unreadable record was quarantined, not overwritten.',
  },
  sink_failed: {
    emoji: '📭',
    label: 'Alert channel failing',
    hint: 'Check that channel’s settings on the tokens status page.',
  },
} satisfies Record<string, AlertKindInfo>;

export type KnownAlertKind = keyof typeof ALERT_KINDS;

const SEVERITY_EMOJI: Record<AlertSeverityV1, string> = { info: 'ℹ️', warning: '⚠️', critical: '🚨' };

/** Display data for a kind; unknown kinds get the severity's emoji and no hint. */
export function describeKind(kind: string, severity: AlertSeverityV1): AlertKindInfo {
  const known = (ALERT_KINDS as Record<string, AlertKindInfo>)[kind];
  return known ?? { emoji: SEVERITY_EMOJI[severity] ?? '🔔', label: kind.replace(/_/g, ' ') };
}

export interface FormatAlertOptions {
  /**
   * IANA zone for times shown. Default: the broker's market zone (IST for FYERS, Kite, Dhan
   * and Kotak; New York for Schwab), else UTC.
   */
  timeZone?: string;
}

export interface FormattedAlert {
  emoji: string;
  /** "CRITICAL", "WARNING" or "INFO". */
  severityLabel: string;
  /** Emoji and title, e.g. "🔑 schwab-main: human login needed". */
  headline: string;
  title: string;
  message: string;
  /** Short extra lines: when bots stop, what to do, which account. */
  details: string[];
  action?: { label: string; url: string };
  /** The whole alert as plain text: headline, message, details, then the action link. */
  text: string;
}

const BROKER_ZONES: Record<string, string> = { fyers: IST, kite: IST, dhan: IST, kotak: IST, schwab: NEW_YORK };

function zoneFor(alert: AlertV1, options: FormatAlertOptions): string {
  return options.timeZone ?? (alert.broker ? BROKER_ZONES[alert.broker] : undefined) ?? 'UTC';
}

function when(at: number, zone: string): string {
  try {
    return formatInZone(at, zone);
  } catch {
    // A bad zone in the settings must not cost the alert; UTC is always valid.
    return formatInZone(at, 'UTC');
  }
}

/**
 * The short text every channel sends: what happened (title, message), what stops when, what
 * to do, and the one-tap action link. Channels add their own markup around these parts.
 */
export function formatAlert(alert: AlertV1, options: FormatAlertOptions = {}): FormattedAlert {
  const info = describeKind(alert.kind, alert.severity);
  const zone = zoneFor(alert, options);
  const action = alert.action && alert.action.url ? { label: alert.action.label || 'Open', url: alert.action.url } : undefined;
  const details: string[] = [];
  // Deadline alerts already say when bots stop in their message.
  if (alert.deadline !== undefined && Number.isFinite(alert.deadline) && alert.kind !== 'deadline') {
    details.push(`Bots stop: ${when(alert.deadline, zone)}`);
  }
  const hint = action ? (info.hintWithAction ?? info.hint) : info.hint;
  if (hint) details.push(`What to do: ${hint}`);
  const who = [alert.accountId, alert.broker].filter((v): v is string => typeof v === 'string' && v.length > 0);
  if (who.length > 0) details.push(`Account: ${who.join(' · ')}`);

  const headline = `${info.emoji} ${alert.title}`;
  const lines = [headline, alert.message, '', ...details];
  if (action) lines.push('', `${action.label}: ${action.url}`);
  return {
    emoji: info.emoji,
    severityLabel: alert.severity.toUpperCase(),
    headline,
    title: alert.title,
    message: alert.message,
    details,
    ...(action ? { action } : {}),
    text: lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd(),
  };
}
