import { revealAll, type SecretInput } from './secret-input';

/** What replaces every removed secret. Same marker as `Secret#toString()` in `@tokens/core`. */
export const REDACTED = '[redacted]';

/** Default cap for response bodies kept on errors. */
export const MAX_REDACTED_BODY_LENGTH = 2048;

// Field names whose values are credentials, compared after lower-casing and removing `_`/`-`.
// Anything ending in "token" (access_token, refreshToken, enctoken, edit_token…) counts too.
const sensitiveNames = new Set([
  'jwt',
  'sid',
  'editsid',
  'checksum',
  'pin',
  'mpin',
  'totp',
  'otp',
  'appidhash',
  'secret',
  'appsecret',
  'apisecret',
  'clientsecret',
  'secretkey',
  'consumersecret',
  'consumerkey',
  'password',
  'passwd',
  'authorization',
  'auth',
  'authcode',
  'codeverifier',
  'cookie',
  'setcookie',
  'xapikey',
  'partnersecret',
]);

/**
 * True when a JSON field, form field, query parameter or header with this name carries a
 * credential: `access_token`, `refresh_token`, `id_token`, `token`, `accessToken`, `jwt`,
 * `sid`, `checksum`, `pin`, `mpin`, `totp`, `appIdHash`, `Authorization`, `access-token`…
 */
export function isSensitiveFieldName(name: string): boolean {
  const n = name.toLowerCase().replace(/[_\-\s]/g, '');
  return n.endsWith('token') || sensitiveNames.has(n);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every spelling of a secret that can appear in a body: raw, URL-encoded, JSON-escaped. */
function variants(secret: string): string[] {
  const out = new Set([secret]);
  try {
    out.add(encodeURIComponent(secret));
  } catch {
    // lone surrogates cannot be URL-encoded; the raw form is still removed
  }
  out.add(JSON.stringify(secret).slice(1, -1));
  return [...out].filter((v) => v.length > 0).sort((a, b) => b.length - a.length);
}

/** Removes the given secret values (and their encoded forms) from free text. */
export function removeSecrets(text: string, secrets: readonly (SecretInput | undefined)[] | undefined): string {
  let out = text;
  const raw = revealAll(secrets).sort((a, b) => b.length - a.length);
  for (const secret of raw) {
    for (const v of variants(secret)) {
      if (out.includes(v)) out = out.replace(new RegExp(escapeRegExp(v), 'g'), REDACTED);
    }
  }
  return out;
}

/** Replaces the query string of every URL in the text; queries carry PINs, TOTPs and tokens. */
export function stripUrlQueries(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s?#"'<>`]+)\?[^\s#"'<>`]*/gi, `$1?${REDACTED}`);
}

// "field": "value" — also inside JSON that was itself embedded as an escaped string (\"field\":\"value\"),
// which Schwab does in `error_description`.
const jsonField = /(\\*")([A-Za-z0-9_.-]+)(\\*"\s*:\s*)(?:(\\*")([^"]*?)(\\*")|(-?\d[\d.eE+-]*))/g;
// field=value in form bodies, query strings and log-style text.
const formField = /(^|[?&;,\s])([A-Za-z0-9_.-]+)=([^&\s"',;]*)/g;
// Stray JWTs and long opaque runs (hex digests, session ids) in unknown fields.
const jwtLike = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.?[A-Za-z0-9_-]*/g;
const longRun = /[A-Za-z0-9+/=_-]{40,}/g;
const authScheme = /\b(Bearer|Basic)\s+[^\s"',]+/gi;

/**
 * Makes a response body safe to keep on an error (`BrokerApiError.responseBody`) or to log:
 * removes every given secret value (raw, URL-encoded and JSON-escaped), the values of
 * credential-looking fields (`access_token`, `refresh_token`, `id_token`, `token`,
 * `accessToken`, `jwt`, `sid`, `checksum`, `pin`, `mpin`, `totp`, `appIdHash`, …) in JSON and
 * form encodings, URL query strings, `Bearer`/`Basic` credentials, JWT-looking strings and
 * opaque runs of 40+ characters; then truncates to about 2 KB.
 */
export function redactBody(
  text: string,
  secrets: readonly (SecretInput | undefined)[] = [],
  options: { maxLength?: number } = {},
): string {
  const maxLength = options.maxLength ?? MAX_REDACTED_BODY_LENGTH;
  let out = removeSecrets(text, secrets);
  out = out.replace(
    jsonField,
    (match, q1: string, name: string, sep: string, vq1: string | undefined, _value: unknown, vq2: string | undefined) => {
      if (!isSensitiveFieldName(name)) return match;
      // Numbers (a numeric PIN) become a quoted marker, quoted like the field name.
      return `${q1}${name}${sep}${vq1 ?? q1}${REDACTED}${vq2 ?? q1}`;
    },
  );
  out = out.replace(formField, (match, lead: string, name: string, value: string) =>
    isSensitiveFieldName(name) && value.length > 0 ? `${lead}${name}=${REDACTED}` : match,
  );
  out = stripUrlQueries(out);
  out = out.replace(authScheme, `$1 ${REDACTED}`);
  out = out.replace(jwtLike, REDACTED);
  out = out.replace(longRun, REDACTED);
  if (out.length > maxLength) {
    out = `${out.slice(0, maxLength)}… [truncated ${out.length - maxLength} characters]`;
  }
  return out;
}

/**
 * Makes a short message safe: removes the given secret values and URL query strings, but
 * leaves ordinary words alone ("Invalid token provided" stays readable).
 */
export function redactMessage(text: string, secrets: readonly (SecretInput | undefined)[] = []): string {
  return stripUrlQueries(removeSecrets(text, secrets));
}
