import { z } from 'zod';

// Minimal schemas: only the fields the adapter reads, so harmless API additions never break
// parsing. Wire facts: research/brokers.md §2 and Zerodha's kiteconnect-mocks.

/** `POST /session/token` and `POST /session/refresh_token` success body (generate_session.json). */
export const kiteSessionResponse = z.object({
  status: z.literal('success'),
  data: z.object({
    access_token: z.string().min(1),
    public_token: z.string().optional(),
    // "" for normal apps; a real value only on platforms approved for refresh tokens.
    refresh_token: z.string().nullish(),
    user_id: z.string().optional(),
    // "YYYY-MM-DD HH:MM:SS" in IST, no offset.
    login_time: z.string().nullish(),
  }),
});
export type KiteSessionResponse = z.infer<typeof kiteSessionResponse>;

/** `GET /user/profile` success body (profile.json). */
export const kiteProfileResponse = z.object({
  status: z.literal('success'),
  data: z.object({ user_id: z.string() }),
});

/** `DELETE /session/token` success body (session_logout.json). */
export const kiteLogoutResponse = z.object({
  status: z.literal('success'),
  data: z.boolean(),
});

/** The error envelope of every endpoint: `{"status":"error","message":…,"data":null,"error_type":…}`. */
export const kiteErrorEnvelope = z.object({
  status: z.literal('error').optional(),
  message: z.string().optional(),
  error_type: z.string().optional(),
});
export type KiteErrorEnvelope = z.infer<typeof kiteErrorEnvelope>;

/** Every request carries this header; the fake insists on it. */
export const KITE_VERSION_HEADER = { 'X-Kite-Version': '3' } as const;
