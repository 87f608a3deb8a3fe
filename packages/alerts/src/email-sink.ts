import { InvalidConfigError, type AlertSinkV1, type AlertV1 } from '@tokens/core';
import { redactMessage, revealInput, type SecretInput } from '@tokens/broker-utils';
import type { SendMailOptions } from 'nodemailer';
import { AlertDeliveryError } from './alert-error';
import { formatAlert, type FormatAlertOptions } from './format-alert';
import { escapeHtml, isHttpUrl, truncate } from './text';

/** The part of a nodemailer transporter the sink uses; `createTransport(...)` results fit. */
export interface MailTransport {
  sendMail(mail: SendMailOptions): Promise<unknown>;
  close?(): void;
}

export interface SmtpSettings {
  host: string;
  /** Default 587 (STARTTLS), or 465 when `secure`. */
  port?: number;
  /** TLS from the first byte (port 465). Default false: STARTTLS when the server offers it. */
  secure?: boolean;
  /** Refuse to send unless the server upgrades with STARTTLS. */
  requireTLS?: boolean;
  auth?: { user: string; pass: SecretInput };
  /** Time limit for connecting, the greeting and socket inactivity. Default 15 000 ms. */
  timeoutMs?: number;
}

export interface EmailAlertSinkSettings extends FormatAlertOptions {
  /** An existing nodemailer transporter (or anything with `sendMail`). Wins over `smtp`. */
  transport?: MailTransport;
  smtp?: SmtpSettings;
  /** Sender, e.g. `"tokens <alerts@example.com>"`. */
  from: string;
  to: string | string[];
  /** Sink name in status and metrics. Default "email". */
  name?: string;
}

const COLOURS = { info: '#3498db', warning: '#d4a017', critical: '#e74c3c' } as const;

/** Subject: severity prefix and title on one line (a newline would start a new header). */
export function emailSubject(alert: AlertV1): string {
  return truncate(`[${alert.severity.toUpperCase()}] ${alert.title}`.replace(/\s+/g, ' ').trim(), 200);
}

/** A small inline-styled HTML part; mail clients strip <style>, so styles sit on the elements. */
export function emailHtml(alert: AlertV1, options: FormatAlertOptions = {}): string {
  const f = formatAlert(alert, options);
  const colour = COLOURS[alert.severity] ?? COLOURS.warning;
  const paragraphs = f.message.split('\n').map((line) => escapeHtml(line)).join('<br>');
  const details = f.details.map((d) => `<li>${escapeHtml(d)}</li>`).join('');
  const button =
    f.action && isHttpUrl(f.action.url)
      ? `<p><a href="${escapeHtml(f.action.url)}" style="display:inline-block;padding:10px 18px;background:${colour};color:#fff;text-decoration:none;border-radius:4px;font-weight:bold">${escapeHtml(f.action.label)}</a></p><p style="font-size:12px;color:#666">Or open: ${escapeHtml(f.action.url)}</p>`
      : f.action
        ? `<p>${escapeHtml(f.action.label)}: ${escapeHtml(f.action.url)}</p>`
        : '';
  return [
    '<!doctype html><html><body style="font-family:-apple-system,Segoe UI,Roboto,sans-serif;font-size:15px;color:#222">',
    `<h2 style="border-left:4px solid ${colour};padding-left:8px;margin:0 0 12px">${escapeHtml(f.headline)}</h2>`,
    `<p>${paragraphs}</p>`,
    details ? `<ul style="color:#444">${details}</ul>` : '',
    button,
    '</body></html>',
  ].join('\n');
}

interface MailError {
  code?: string;
  responseCode?: number;
  response?: string;
  permanent?: boolean;
  name?: string;
}

const TRANSIENT_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'EPROXY', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE']);

/**
 * Sends alerts by e-mail through SMTP (nodemailer), with a plain-text part and an HTML part
 * that has a button for the action link.
 */
export function createEmailAlertSink(settings: EmailAlertSinkSettings): AlertSinkV1 {
  const name = settings.name ?? 'email';
  const to = Array.isArray(settings.to) ? settings.to : [settings.to];
  const issues = [];
  if (!settings.from) issues.push({ path: 'from', message: 'is missing, e.g. "tokens <alerts@example.com>"' });
  if (to.length === 0 || to.some((t) => !t)) issues.push({ path: 'to', message: 'needs at least one address' });
  if (!settings.transport && !settings.smtp?.host) issues.push({ path: 'smtp.host', message: 'is missing; pass `smtp: { host, port, auth }` or a nodemailer `transport`' });
  if (issues.length > 0) throw new InvalidConfigError({ issues });

  const smtp = settings.smtp;
  const pass = smtp?.auth?.pass;
  // Everything that could show up in a server reply about the login.
  const secrets: SecretInput[] = [];
  if (pass !== undefined && smtp?.auth) {
    const p = revealInput(pass);
    secrets.push(pass, Buffer.from(p).toString('base64'), Buffer.from(`\u0000${smtp.auth.user}\u0000${p}`).toString('base64'));
  }
  const timeout = smtp?.timeoutMs ?? 15_000;
  // nodemailer is loaded on the first e-mail, so processes without an e-mail channel never pay for it.
  let transport: MailTransport | undefined = settings.transport;
  const getTransport = async (): Promise<MailTransport> =>
    (transport ??= (await import('nodemailer')).createTransport({
      host: smtp!.host,
      port: smtp!.port ?? (smtp!.secure ? 465 : 587),
      secure: smtp!.secure ?? false,
      requireTLS: smtp!.requireTLS ?? false,
      ...(smtp!.auth ? { auth: { user: smtp!.auth.user, pass: revealInput(smtp!.auth.pass) } } : {}),
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      logger: false,
    }));
  const server = smtp ? `the SMTP server ${smtp.host}:${smtp.port ?? (smtp.secure ? 465 : 587)}` : 'the mail transport';

  const fail = (code: AlertDeliveryError['code'], message: string, isRetryable: boolean, raw: MailError): AlertDeliveryError =>
    new AlertDeliveryError({
      channel: name,
      code,
      message: redactMessage(message, secrets),
      isRetryable,
      ...(raw.responseCode !== undefined ? { statusCode: raw.responseCode } : {}),
    });

  const classify = (raw: MailError): AlertDeliveryError => {
    const reply = raw.response ? truncate(redactMessage(raw.response, secrets).replace(/\s+/g, ' '), 160) : '';
    const said = reply ? `: ${reply}` : raw.responseCode ? `: ${raw.responseCode}` : '';
    if (raw.code === 'EAUTH' || raw.code === 'ENOAUTH') {
      return fail('ALERT_CHANNEL_REJECTED', `${server} rejected the login${said}. Fix \`smtp.auth.user\` / \`smtp.auth.pass\` (Gmail and Outlook need an app password).`, false, raw);
    }
    if (raw.code === 'ETLS' || raw.code === 'EREQUIRETLS') {
      return fail('ALERT_CHANNEL_REJECTED', `TLS with ${server} failed${said}. Use \`secure: true\` with port 465, or \`secure: false\` with port 587.`, false, raw);
    }
    if (raw.responseCode !== undefined) {
      const permanent = raw.permanent ?? (raw.responseCode >= 500 && raw.responseCode !== 503);
      if (!permanent) return fail('ALERT_CHANNEL_UNAVAILABLE', `${server} deferred the message${said}. Will retry.`, true, raw);
      const fix = raw.code === 'EENVELOPE' ? ' Check `from` and `to`.' : '';
      return fail('ALERT_MESSAGE_REJECTED', `${server} refused the message${said}.${fix}`, false, raw);
    }
    if (raw.code && TRANSIENT_CODES.has(raw.code)) {
      return fail('ALERT_CHANNEL_UNAVAILABLE', `Could not talk to ${server} (${raw.code}). Will retry.`, true, raw);
    }
    return fail('ALERT_MESSAGE_REJECTED', `Could not send the e-mail through ${server} (${raw.code ?? 'unknown error'}).`, false, raw);
  };

  return {
    specificationVersion: 'v1',
    name,
    async send(alert, options) {
      const signal = options?.signal;
      if (signal?.aborted) throw signal.reason;
      try {
        await (await getTransport()).sendMail({
          from: settings.from,
          to,
          subject: emailSubject(alert),
          text: formatAlert(alert, settings).text,
          html: emailHtml(alert, settings),
          ...(alert.severity === 'critical' ? { priority: 'high' as const } : {}),
          headers: { 'X-Tokens-Alert-Id': alert.id, 'X-Tokens-Severity': alert.severity, 'X-Tokens-Kind': alert.kind },
          ...(signal ? { signal } : {}),
        });
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        // Nodemailer's error objects carry the SMTP dialogue; only a redacted summary leaves.
        throw classify((error ?? {}) as MailError);
      }
    },
    async close() {
      // A transport passed in belongs to the caller; only ours is closed here.
      if (!settings.transport) transport?.close?.();
    },
  };
}
