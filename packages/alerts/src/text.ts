/** Escapes text for HTML bodies and attribute values (Telegram HTML, e-mail). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * Cuts text to at most `max` characters (code points, so an emoji is never split), ending
 * with "…" when something was cut. Channels have hard limits and reject longer fields.
 */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/** Length in code points, the unit the channels' limits are stated in. */
export function charLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** True for URLs a remote service cannot open (Telegram refuses buttons pointing at them). */
export function isLocalUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return true;
  }
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '[::1]' ||
    host === '0.0.0.0' ||
    /^127\.\d+\.\d+\.\d+$/.test(host)
  );
}

/** Only http(s) links become buttons or anchors; anything else stays plain text. */
export function isHttpUrl(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * Keeps the human words of a receiver's reply and masks anything that looks like a credential:
 * long runs, mixed letters and digits of 12+ characters, paths and URLs. Receivers sometimes
 * echo what they were sent, including tokens of other services we know nothing about.
 */
export function maskTokenLike(text: string): string {
  return text.replace(/\S+/g, (word) => {
    const core = word.replace(/^[("'[{<]+|[)"'\]}>.,;:!?]+$/g, '');
    const tokenLike =
      core.length >= 24 ||
      (core.length >= 12 && /\d/.test(core) && /[A-Za-z]/.test(core)) ||
      (core.length >= 12 && core.includes('/')) ||
      core.includes('://');
    return tokenLike ? word.replace(core, '[redacted]') : word;
  });
}
