export type AlertSeverityV1 = 'info' | 'warning' | 'critical';

export type AlertKindV1 =
  | 'deadline'
  | 'login_required'
  | 'refresh_failed'
  | 'retries_exhausted'
  | 'sink_failed'
  | 'refresh_recovered'
  | 'refresh_succeeded'
  | 'persist_failed'
  | 'invalid_credentials'
  | 'expired'
  | (string & {});

export interface AlertV1 {
  /** Unique per alert. */
  id: string;
  severity: AlertSeverityV1;
  kind: AlertKindV1;
  accountId?: string;
  broker?: string;
  title: string;
  message: string;
  /** One-tap action, e.g. the login link. */
  action?: { label: string; url: string };
  /** Alerts with the same key are the same condition: deduplicated and rate-limited. */
  dedupKey: string;
  /** Epoch ms. */
  createdAt: number;
  /** The moment bots stop if nobody acts, when known. */
  deadline?: number;
}

/** A channel that delivers alerts to humans. Never receives secrets. */
export interface AlertSinkV1 {
  readonly specificationVersion: 'v1';
  /** Channel name for status and metrics, e.g. "telegram". */
  readonly name: string;
  /** Resolves once delivered; throws a typed error (`isRetryable`) otherwise. */
  send(alert: AlertV1, options?: { signal?: AbortSignal }): Promise<void>;
  /**
   * Optional routing check: false means this channel does not want the alert (severity or
   * account filter, rate limit). The engine then neither sends it nor counts it as sent.
   */
  accepts?(alert: AlertV1): boolean;
  close?(): Promise<void>;
}
