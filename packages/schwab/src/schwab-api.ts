import { z } from 'zod';

// Minimal schemas: only the fields the adapter reads, so harmless API additions never break parsing.

/** Paths on the Schwab API host. */
export const SCHWAB_PATHS = {
  authorize: '/v1/oauth/authorize',
  token: '/v1/oauth/token',
  accountNumbers: '/trader/v1/accounts/accountNumbers',
} as const;

/** Access tokens live 30 minutes (`expires_in: 1800`). */
export const ACCESS_TOKEN_LIFETIME_MS = 30 * 60_000;

/** Refresh tokens die 7 days after the browser login; refreshing never extends that. */
export const REFRESH_TOKEN_LIFETIME_MS = 7 * 24 * 60 * 60_000;

/** Authorization codes live about 30 seconds. */
export const AUTHORIZATION_CODE_LIFETIME_MS = 30_000;

/**
 * `POST /v1/oauth/token` success body, both grants:
 * `{"expires_in":1800,"token_type":"Bearer","scope":"api","refresh_token":"…","access_token":"…","id_token":"…"}`.
 */
export const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).optional(),
  expires_in: z.number().positive(),
  token_type: z.string().optional(),
  scope: z.string().optional(),
  id_token: z.string().min(1).optional(),
});

export type SchwabTokenResponse = z.infer<typeof tokenResponseSchema>;

/** OAuth error envelope: `{"error":"…","error_description":"…"}`; the description may nest a second JSON document. */
export const oauthErrorSchema = z.object({
  error: z.string(),
  error_description: z.string().optional(),
});

/** Trader API error envelope: `{"errors":[{"id":"…","status":401,"title":"Unauthorized","detail":"Client not authorized"}]}`. */
export const apiErrorSchema = z.object({
  errors: z
    .array(
      z.object({
        status: z.union([z.number(), z.string()]).optional(),
        title: z.string().optional(),
        detail: z.string().optional(),
      }),
    )
    .min(1),
});
