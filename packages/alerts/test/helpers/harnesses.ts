import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AlertSinkV1 } from '@tokens/core';
import type { RecordedRequest } from '@tokens/broker-utils/testing';
import type { AlertSinkHarness } from '@tokens/test-suite';
import {
  createDiscordAlertSink,
  createEmailAlertSink,
  createFileAlertSink,
  createSlackAlertSink,
  createTelegramAlertSink,
  createWebhookAlertSink,
  type AlertFileSystem,
} from '../../src/index';
import { decodeEntities, findPart, parseMime, startHttpReceiver, startSmtpReceiver, type HttpReceiver, type SmtpMessage, type SmtpReceiver } from './receivers';

// Canary credentials: long, unique, and shaped like the real thing.
export const BOT_TOKEN = '7012345678:AAHcanaryTelegramBotTokenX9f2kLmNoPq';
export const CHAT_ID = '-1001234567890';
export const SLACK_PATH = '/services/T0CANARY1/B0CANARY2/slackCanaryWebhookTokenQ7x';
export const DISCORD_PATH = '/api/webhooks/112233445566778899/discordCanaryWebhookTokenZ3m-vRt8';
export const WEBHOOK_PATH = '/hooks/receive/webhookCanaryPathTokenH5j';
export const WEBHOOK_SECRET = 'whsec-canary-5f1e9a0c7d3b2e8f4a6c1d9e0b7a3f2c';
export const SMTP_USER = 'alerts@example.com';
export const SMTP_PASS = 'smtp-canary-Pa55word-7Qx!';

export type Harness<R> = AlertSinkHarness & { receiver: R };

const tgText = (d: unknown): string => {
  const json = (d as RecordedRequest).json as { text: string; reply_markup?: { inline_keyboard: Array<Array<{ text: string; url: string }>> } };
  // What Telegram shows: the HTML rendered (tags gone, entities decoded) plus the link targets and buttons.
  const links = [...json.text.matchAll(/href="([^"]*)"/g)].map((m) => decodeEntities(m[1]!));
  const buttons = (json.reply_markup?.inline_keyboard ?? []).flat().map((b) => `${b.text} ${b.url}`);
  return [decodeEntities(json.text.replace(/<[^>]+>/g, '')), ...links, ...buttons].join('\n');
};

const slackText = (d: unknown): string => {
  const json = (d as RecordedRequest).json as { blocks: Array<Record<string, any>> };
  const out: string[] = [];
  for (const b of json.blocks) {
    if (b.text) out.push(b.text.text);
    for (const e of b.elements ?? []) out.push(e.type === 'button' ? `${e.text.text} ${e.url}` : e.text);
  }
  return out.join('\n');
};

const discordText = (d: unknown): string => {
  const embed = ((d as RecordedRequest).json as { embeds: Array<{ title: string; description: string; url?: string }> }).embeds[0]!;
  // Discord renders "\*" as "*": undo our escapes the way its markdown does.
  const unescape = (t: string) => t.replace(/\\(.)/g, '$1');
  return [unescape(embed.title), unescape(embed.description), embed.url ?? ''].join('\n');
};

async function httpHarness(receiver: HttpReceiver, sink: AlertSinkV1, text: (d: unknown) => string): Promise<Harness<HttpReceiver>> {
  return {
    sink,
    receiver,
    deliveries: async () => [...receiver.delivered],
    deliveryText: text,
    fail: (mode) => receiver.fail(mode),
    close: () => receiver.close(),
  };
}

export async function telegramHarness(extra: Partial<Parameters<typeof createTelegramAlertSink>[0]> = {}) {
  const receiver = await startHttpReceiver({ status: 200, body: { ok: true, result: { message_id: 1 } } });
  const sink = createTelegramAlertSink({ botToken: BOT_TOKEN, chatId: CHAT_ID, baseUrl: receiver.url, ...extra });
  return httpHarness(receiver, sink, tgText);
}

export async function slackHarness(extra: Partial<Parameters<typeof createSlackAlertSink>[0]> = {}) {
  const receiver = await startHttpReceiver({ status: 200, text: 'ok' });
  const sink = createSlackAlertSink({ webhookUrl: `${receiver.url}${SLACK_PATH}`, ...extra });
  return httpHarness(receiver, sink, slackText);
}

export async function discordHarness(extra: Partial<Parameters<typeof createDiscordAlertSink>[0]> = {}) {
  const receiver = await startHttpReceiver({ status: 200, body: { id: '1', type: 0 } });
  const sink = createDiscordAlertSink({ webhookUrl: `${receiver.url}${DISCORD_PATH}`, ...extra });
  return httpHarness(receiver, sink, discordText);
}

export async function webhookHarness(extra: Partial<Parameters<typeof createWebhookAlertSink>[0]> = {}) {
  const receiver = await startHttpReceiver({ status: 204 });
  const sink = createWebhookAlertSink({ url: `${receiver.url}${WEBHOOK_PATH}`, secret: WEBHOOK_SECRET, ...extra });
  return httpHarness(receiver, sink, (d) => ((d as RecordedRequest).json as { text: string }).text);
}

/** The text part of a recorded e-mail, decoded. */
export function emailText(message: SmtpMessage): string {
  return findPart(parseMime(message.raw), 'text/plain')?.body ?? '';
}

export async function emailHarness(extra: Partial<Parameters<typeof createEmailAlertSink>[0]> = {}): Promise<Harness<SmtpReceiver>> {
  const receiver = await startSmtpReceiver({ user: SMTP_USER, pass: SMTP_PASS });
  const sink = createEmailAlertSink({
    smtp: { host: receiver.host, port: receiver.port, secure: false, auth: { user: SMTP_USER, pass: SMTP_PASS }, timeoutMs: 5_000 },
    from: 'tokens <alerts@example.com>',
    to: ['trader@example.com'],
    ...extra,
  });
  return {
    sink,
    receiver,
    deliveries: async () => [...receiver.messages],
    deliveryText: (d) => emailText(d as SmtpMessage),
    fail: (mode) => receiver.fail(mode),
    close: () => receiver.close(),
  };
}

/** A file sink in a fresh temp dir; faults are injected through its file-system seam. */
export async function fileHarness(): Promise<Harness<{ path: string; dir: string }>> {
  const dir = mkdtempSync(join(tmpdir(), 'tokens-alerts-'));
  const path = join(dir, 'logs', 'alerts.jsonl');
  const faults: string[] = [];
  const fs = await import('node:fs/promises');
  const faulty: AlertFileSystem = {
    mkdir: fs.mkdir,
    open: ((...args: Parameters<typeof fs.open>) => {
      const fault = faults.shift();
      if (fault) return Promise.reject(Object.assign(new Error(`${fault}: simulated`), { code: fault }));
      return fs.open(...args);
    }) as typeof fs.open,
  };
  const sink = createFileAlertSink({ path, fs: faulty });
  return {
    sink,
    receiver: { path, dir },
    deliveries: async () => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown) : []),
    deliveryText: (d) => (d as { text: string }).text,
    // A full disk and an I/O error are what "the receiver failed" means for a local file.
    fail: (mode) => void faults.push(mode === 'server-error' ? 'ENOSPC' : 'EIO'),
    close: async () => rmSync(dir, { recursive: true, force: true }),
  };
}
