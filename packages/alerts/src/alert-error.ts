import { TokensError } from '@tokens/core';

const marker = 'tokens.error.AlertDeliveryError';
const symbol = Symbol.for(marker);

/** Stable codes; status pages and metrics key on these, never on message text. */
export type AlertDeliveryErrorCode =
  /** Network failure, timeout or a 5xx: the engine retries. */
  | 'ALERT_CHANNEL_UNAVAILABLE'
  /** The receiver asked us to slow down (HTTP 429, or a cool-down still running). Retryable. */
  | 'ALERT_RATE_LIMITED'
  /** The receiver refused the credentials or the destination (bad token, deleted webhook). A human must fix the settings. */
  | 'ALERT_CHANNEL_REJECTED'
  /** The receiver refused this message (malformed payload, rejected recipient). Not retryable. */
  | 'ALERT_MESSAGE_REJECTED';

export interface AlertDeliveryErrorOptions {
  /** The sink's name, e.g. "telegram". */
  channel: string;
  code: AlertDeliveryErrorCode;
  /** Says what failed and how to fix it. Never contains tokens, webhook URLs or passwords. */
  message: string;
  isRetryable: boolean;
  statusCode?: number;
  /** How long the receiver asked us to wait, in milliseconds. */
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * A channel could not deliver an alert. `isRetryable` tells the engine's dispatcher whether to
 * try again; `needsHuman` is set when only a settings change can fix it.
 */
export class AlertDeliveryError extends TokensError {
  private readonly [symbol] = true;
  declare readonly code: AlertDeliveryErrorCode;
  readonly channel: string;
  readonly statusCode?: number;
  readonly retryAfterMs?: number;

  constructor(o: AlertDeliveryErrorOptions) {
    super({
      message: o.message,
      code: o.code,
      isRetryable: o.isRetryable,
      needsHuman: o.code === 'ALERT_CHANNEL_REJECTED',
      cause: o.cause,
    });
    this.name = 'AlertDeliveryError';
    this.channel = o.channel;
    this.statusCode = o.statusCode;
    this.retryAfterMs = o.retryAfterMs;
  }

  static override isInstance(error: unknown): error is AlertDeliveryError {
    return TokensError.hasMarker(error, marker);
  }

  override toJSON() {
    return { ...super.toJSON(), channel: this.channel, statusCode: this.statusCode, retryAfterMs: this.retryAfterMs };
  }
}
