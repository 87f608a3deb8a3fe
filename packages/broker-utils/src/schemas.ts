import { BrokerApiError, isRetryableStatus } from '@tokens/core';
import { safeParse, type $ZodType, type output } from 'zod/v4/core';
import type { BrokerHttpResponse } from './http-client';
import type { SecretInput } from './secret-input';

export interface ParseJsonResponseOptions {
  /** Defaults to the broker the response came from. */
  broker?: string;
  /** Values to remove from the message and body besides the request's own secrets. */
  secretValues?: readonly (SecretInput | undefined)[];
}

/**
 * Parses a response body as JSON and validates it with a zod schema (classic `zod` or
 * `zod/mini`). Keep schemas minimal — only the fields the adapter reads — so harmless API
 * additions never break parsing.
 *
 * Throws `BrokerApiError` "unexpected response shape" (or "not JSON") with a redacted body;
 * retryable only when the status is (5xx, 429, …). The message names the failing fields, never
 * their values.
 */
export function parseJsonResponse<S extends $ZodType>(
  schema: S,
  response: BrokerHttpResponse,
  options: ParseJsonResponseOptions = {},
): output<S> {
  const broker = options.broker ?? response.broker;
  const secrets = options.secretValues ?? [];
  let value: unknown;
  try {
    value = JSON.parse(response.bodyText);
  } catch {
    return fail(broker, response, secrets, 'a body that is not JSON');
  }
  const result = safeParse(schema, value, { reportInput: false });
  if (result.success) return result.data as output<S>;
  const issues = result.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
  return fail(broker, response, secrets, `an unexpected response shape: ${issues}`);
}

function fail(
  broker: string,
  response: BrokerHttpResponse,
  secrets: readonly (SecretInput | undefined)[],
  what: string,
): never {
  throw new BrokerApiError({
    broker,
    message: response.redactText(`${broker} answered ${response.requestLabel} (HTTP ${response.status}) with ${what}.`, secrets),
    statusCode: response.status,
    responseBody: response.redactedBody(secrets),
    isAuthError: false,
    isRetryable: isRetryableStatus(response.status),
  });
}
