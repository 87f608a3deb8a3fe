import type { LoggerV1, TokenSetV1 } from '@tokens/core';

/** A token as handed to a sink, after the store has it. */
export interface SinkDelivery {
  accountId: string;
  broker: string;
  version: number;
  tokenSet: TokenSetV1;
}

/** A place a fresh token is written for consumers: a file, `.env`, a socket, a hook. */
export interface TokenSink {
  /** e.g. "env:/srv/bot/.env#FYERS_ACCESS_TOKEN" — no secrets. */
  readonly name: string;
  readonly type: string;
  write(delivery: SinkDelivery, signal: AbortSignal): Promise<void>;
  close?(): Promise<void>;
}

export interface SinkStatus {
  name: string;
  type: string;
  lastDelivery?: { at: number; ok: boolean; version: number; error?: string };
  delivered: number;
  failed: number;
}

export interface SinkRunnerDeps {
  logger: LoggerV1;
  now: () => number;
  /** Called once per failed delivery (the daemon turns it into an alert and an event). */
  onResult: (result: { accountId: string; sink: string; ok: boolean; error?: string }) => void;
}
