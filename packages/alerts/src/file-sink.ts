import { promises as fsPromises } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InvalidConfigError, type AlertSinkV1, type AlertV1 } from '@tokens/core';
import { AlertDeliveryError } from './alert-error';
import { formatAlert, type FormatAlertOptions } from './format-alert';

/** The file-system calls the sink makes; injectable so tests can simulate a full disk. */
export interface AlertFileSystem {
  mkdir: typeof fsPromises.mkdir;
  open: typeof fsPromises.open;
}

export interface FileAlertSinkSettings extends FormatAlertOptions {
  /** The JSON-lines file. Created 0600 (its directory 0700) when missing; never truncated. */
  path: string;
  /** Flush each line to disk before `send` resolves. Default false (the OS flushes within seconds). */
  fsync?: boolean;
  /** Sink name in status and metrics. Default "file". */
  name?: string;
  fs?: AlertFileSystem;
}

/** One line of the log: the alert, its time in ISO form and the text other channels show. */
export function alertLogLine(alert: AlertV1, options: FormatAlertOptions = {}): string {
  const time = Number.isFinite(alert.createdAt) ? new Date(alert.createdAt).toISOString() : undefined;
  return `${JSON.stringify({ time, ...alert, text: formatAlert(alert, options).text })}\n`;
}

// Conditions that pass on their own (full disk, too many open files, a busy network share).
const TRANSIENT = new Set(['ENOSPC', 'EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'EIO', 'EINTR', 'ETIMEDOUT', 'EDQUOT']);

/**
 * Appends each alert as one JSON line to a local file: the simplest channel, and the one the
 * Dhan-style setups used. Safe with logrotate (the file is reopened for every alert).
 */
export function createFileAlertSink(settings: FileAlertSinkSettings): AlertSinkV1 {
  if (!settings.path) throw new InvalidConfigError({ issues: [{ path: 'path', message: 'is missing, e.g. "/var/log/tokens/alerts.jsonl"' }] });
  const name = settings.name ?? 'file';
  const path = resolve(settings.path);
  const fs = settings.fs ?? fsPromises;
  // Appends from one process stay in order and never interleave.
  let queue: Promise<void> = Promise.resolve();

  const append = async (line: string) => {
    await fs.mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const handle = await fs.open(path, 'a', 0o600);
    try {
      // An older file may have been created with a looser mode; alerts name accounts and brokers.
      if (((await handle.stat()).mode & 0o077) !== 0) await handle.chmod(0o600);
      await handle.write(line);
      if (settings.fsync) await handle.sync();
    } finally {
      await handle.close();
    }
  };

  return {
    specificationVersion: 'v1',
    name,
    async send(alert, options) {
      if (options?.signal?.aborted) throw options.signal.reason;
      const line = alertLogLine(alert, settings);
      const run = queue.then(() => append(line));
      queue = run.catch(() => undefined);
      try {
        await run;
      } catch (error) {
        const code = (error as { code?: unknown } | null)?.code;
        const codeText = typeof code === 'string' ? code : 'unknown error';
        const retryable = typeof code === 'string' && TRANSIENT.has(code);
        throw new AlertDeliveryError({
          channel: name,
          code: retryable ? 'ALERT_CHANNEL_UNAVAILABLE' : 'ALERT_CHANNEL_REJECTED',
          message: retryable
            ? `Could not append to the alert log ${path} (${codeText}). Will retry.`
            : `Cannot write the alert log ${path} (${codeText}). Fix \`path\` or the permissions of its directory.`,
          isRetryable: retryable,
        });
      }
    },
  };
}
