import type { AddressInfo } from 'node:net';
import type { ServerResponse } from 'node:http';
import { sendJson, startLoopbackServer, type RecordedRequest } from '@tokens/broker-utils/testing';
import { SMTPServer } from 'smtp-server';

export type Fault = 'server-error' | 'reset';

/** A reply the HTTP receiver sends; `undefined` means the default success reply. */
export type Reply = { status: number; body?: unknown; text?: string; headers?: Record<string, string> };

export interface HttpReceiver {
  url: string;
  /** Every request, failed ones included. */
  calls: RecordedRequest[];
  /** Requests answered with a 2xx. */
  delivered: RecordedRequest[];
  /** The next request fails this way. */
  fail(mode: Fault): void;
  /** The next requests get these replies, in order. */
  replyWith(...replies: Reply[]): void;
  close(): Promise<void>;
}

/** A loopback HTTP server that records requests and answers like the service would. */
export async function startHttpReceiver(ok: Reply): Promise<HttpReceiver> {
  const delivered: RecordedRequest[] = [];
  const faults: Fault[] = [];
  const queued: Reply[] = [];
  const answer = (res: ServerResponse, reply: Reply) => {
    if (reply.text !== undefined) {
      res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
      res.end(reply.text);
    } else if (reply.body !== undefined) {
      sendJson(res, reply.status, reply.body, reply.headers);
    } else {
      res.writeHead(reply.status, reply.headers);
      res.end();
    }
  };
  const server = await startLoopbackServer((req, res, request) => {
    const fault = faults.shift();
    if (fault === 'reset') return void req.socket.resetAndDestroy();
    if (fault === 'server-error') return answer(res, { status: 500, text: 'internal error' });
    const reply = queued.shift() ?? ok;
    if (reply.status >= 200 && reply.status < 300) delivered.push(request);
    answer(res, reply);
  });
  return {
    url: server.url,
    calls: server.calls,
    delivered,
    fail: (mode) => void faults.push(mode),
    replyWith: (...replies) => void queued.push(...replies),
    close: () => server.close(),
  };
}

export interface SmtpMessage {
  from: string;
  to: string[];
  raw: string;
  user?: string;
}

export interface SmtpReceiver {
  host: string;
  port: number;
  messages: SmtpMessage[];
  /** Login attempts: user and whether it was accepted. */
  logins: Array<{ user: string; ok: boolean }>;
  fail(mode: Fault): void;
  close(): Promise<void>;
}

/** A real SMTP server on 127.0.0.1 (smtp-server) that records every accepted message. */
export async function startSmtpReceiver(options: { user?: string; pass?: string; rejectRecipients?: string[] } = {}): Promise<SmtpReceiver> {
  const messages: SmtpMessage[] = [];
  const logins: SmtpReceiver['logins'] = [];
  const faults: Fault[] = [];
  const server = new SMTPServer({
    authOptional: options.user === undefined,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      const ok = auth.username === options.user && auth.password === options.pass;
      logins.push({ user: auth.username ?? '', ok });
      if (!ok) return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      callback(null, { user: auth.username });
    },
    onRcptTo(address, _session, callback) {
      if (options.rejectRecipients?.includes(address.address)) {
        return callback(Object.assign(new Error('5.1.1 No such user here'), { responseCode: 550 }));
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (faults[0] === 'server-error') {
          faults.shift();
          return callback(Object.assign(new Error('Temporary local problem, try again'), { responseCode: 451 }));
        }
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          ...(typeof session.user === 'string' ? { user: session.user } : {}),
        });
        callback();
      });
    },
  });
  // A reset fault drops the next connection before the greeting.
  server.server.prependListener('connection', (socket) => {
    if (faults[0] === 'reset') {
      faults.shift();
      socket.resetAndDestroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    messages,
    logins,
    fail: (mode) => void faults.push(mode),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Named and numeric entities Telegram and our HTML use. */
export function decodeEntities(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

function decodeQuotedPrintable(text: string): string {
  const soft = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const hex = soft.slice(i + 1, i + 3);
    if (soft[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(soft[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** RFC 2047 encoded words in headers ("=?UTF-8?Q?...?="). */
export function decodeHeader(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?utf-8\?([qb])\?([^?]*)\?=/gi, (_, enc: string, data: string) =>
      enc.toLowerCase() === 'b' ? Buffer.from(data, 'base64').toString('utf8') : decodeQuotedPrintable(data.replace(/_/g, ' ')),
    );
}

export interface MimePart {
  headers: Record<string, string>;
  /** Decoded body of a leaf part. */
  body: string;
  parts: MimePart[];
}

/** Just enough MIME to read what nodemailer writes: folded headers, multipart, QP and base64. */
export function parseMime(raw: string): MimePart {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split < 0 ? raw : raw.slice(0, split);
  const rest = split < 0 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const type = headers['content-type'] ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (type.toLowerCase().startsWith('multipart/') && boundary) {
    const chunks = rest.split(`--${boundary}`).slice(1, -1);
    return { headers, body: '', parts: chunks.map((c) => parseMime(c.replace(/^\r?\n/, ''))) };
  }
  const cte = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  const body = cte === 'base64' ? Buffer.from(rest, 'base64').toString('utf8') : cte === 'quoted-printable' ? decodeQuotedPrintable(rest) : rest;
  return { headers, body: body.replace(/\r\n/g, '\n').replace(/\n$/, ''), parts: [] };
}

/** The first leaf part of this content type. */
export function findPart(part: MimePart, type: string): MimePart | undefined {
  if (part.parts.length === 0) return (part.headers['content-type'] ?? 'text/plain').toLowerCase().startsWith(type) ? part : undefined;
  for (const p of part.parts) {
    const found = findPart(p, type);
    if (found) return found;
  }
  return undefined;
}
