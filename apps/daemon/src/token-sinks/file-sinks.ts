import { readFile } from 'node:fs/promises';
import { formatSchwabPyToken } from '@tokens/schwab';
import { writeFileAtomic } from './atomic-file';
import type { SinkDelivery, TokenSink } from './types';

/** The JSON document the json-file sink writes (0600). Documented in the README. */
export function tokenDocument(d: SinkDelivery): Record<string, unknown> {
  const t = d.tokenSet;
  const doc: Record<string, unknown> = {
    account: d.accountId,
    broker: d.broker,
    version: d.version,
    access_token: t.accessToken.reveal(),
    token_type: t.tokenType ?? 'Bearer',
    expires_at: Math.floor(t.expiresAt / 1000),
    issued_at: Math.floor(t.issuedAt / 1000),
  };
  if (t.refreshToken) doc.refresh_token = t.refreshToken.reveal();
  if (t.refreshExpiresAt !== undefined) doc.refresh_expires_at = Math.floor(t.refreshExpiresAt / 1000);
  if (t.extras) doc.extras = t.extras;
  if (t.secretExtras) doc.secret_extras = Object.fromEntries(Object.entries(t.secretExtras).map(([k, v]) => [k, v.reveal()]));
  return doc;
}

export function createJsonFileSink(path: string): TokenSink {
  return {
    name: `json-file:${path}`,
    type: 'json-file',
    write: (d) => writeFileAtomic(path, `${JSON.stringify(tokenDocument(d), null, 2)}\n`),
  };
}

export function createRawFileSink(path: string): TokenSink {
  return {
    name: `raw:${path}`,
    type: 'raw',
    write: (d) => writeFileAtomic(path, d.tokenSet.accessToken.reveal()),
  };
}

/** schwab-py's token file, so an existing schwab-py bot keeps reading fresh tokens. */
export function createSchwabPySink(path: string): TokenSink {
  return {
    name: `schwab-py:${path}`,
    type: 'schwab-py',
    write: (d) => writeFileAtomic(path, `${JSON.stringify(formatSchwabPyToken(d.tokenSet), null, 2)}\n`),
  };
}

const quote = (value: string) => (/^[A-Za-z0-9_./:+=@-]*$/.test(value) ? value : JSON.stringify(value));

/**
 * Replaces `KEY=value` lines in a `.env` text, keeping every other line, comment and the order;
 * keys not present are appended. An `export ` prefix is kept.
 */
export function updateEnvText(text: string, values: Record<string, string>): string {
  const pending = new Map(Object.entries(values));
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.length > 0 ? text.split(/\r?\n/) : [];
  const trailing = lines.length > 0 && lines[lines.length - 1] === '';
  if (trailing) lines.pop();
  const out = lines.map((line) => {
    const m = /^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_]*)(\s*=)/.exec(line);
    if (!m || !pending.has(m[2]!)) return line;
    const value = pending.get(m[2]!)!;
    pending.delete(m[2]!);
    return `${m[1]}${m[2]}${m[3]}${quote(value)}`;
  });
  for (const [key, value] of pending) out.push(`${key}=${quote(value)}`);
  return out.join(eol) + eol;
}

export interface EnvSinkOptions {
  path: string;
  key: string;
  refreshKey?: string;
  expiresKey?: string;
}

export function createEnvSink(o: EnvSinkOptions): TokenSink {
  return {
    name: `env:${o.path}#${o.key}`,
    type: 'env',
    async write(d) {
      let text = '';
      try {
        text = await readFile(o.path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      const values: Record<string, string> = { [o.key]: d.tokenSet.accessToken.reveal() };
      if (o.refreshKey && d.tokenSet.refreshToken) values[o.refreshKey] = d.tokenSet.refreshToken.reveal();
      if (o.expiresKey) values[o.expiresKey] = new Date(d.tokenSet.expiresAt).toISOString();
      await writeFileAtomic(o.path, updateEnvText(text, values));
    },
  };
}
