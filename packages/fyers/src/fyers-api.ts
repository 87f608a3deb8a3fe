import { z } from 'zod';

// Minimal schemas: only the fields the adapter reads, so harmless API additions never break parsing.

/** `POST /validate-authcode` → both tokens. */
export const authCodeResponseSchema = z.object({
  s: z.literal('ok'),
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
});

/** `POST /validate-refresh-token` → a new access token only (the refresh token is not rotated). */
export const refreshResponseSchema = z.object({
  s: z.literal('ok'),
  access_token: z.string().min(1),
});

/** `GET /profile` → `s: "ok"` is all the probe needs. */
export const profileResponseSchema = z.object({ s: z.literal('ok') });

/** The error envelope every FYERS endpoint uses: `{ s: "error", code: <negative int>, message }`. */
export const errorEnvelopeSchema = z.object({
  s: z.literal('error'),
  code: z.number(),
  message: z.string().optional(),
});

export type FyersErrorEnvelope = z.infer<typeof errorEnvelopeSchema>;

export const FYERS_PATHS = {
  authorize: '/generate-authcode',
  exchange: '/validate-authcode',
  refresh: '/validate-refresh-token',
  profile: '/profile',
  logout: '/logout',
} as const;

/** Refresh tokens live 15 days from the browser login (FYERS docs, "Refresh Token"). */
export const FYERS_REFRESH_TOKEN_LIFETIME_MS = 15 * 24 * 3_600_000;

/** Access tokens die at the next 06:00 IST (decoded `exp` of every public sample). */
export const FYERS_DAILY_EXPIRY = { time: '06:00', timeZone: 'Asia/Kolkata' } as const;
