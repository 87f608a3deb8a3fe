import { z } from 'zod';

/** Trade API (Gen 3) paths on the login host. */
export const KOTAK_PATHS = {
  login: '/login/1.0/tradeApiLogin',
  validate: '/login/1.0/tradeApiValidate',
  clientIp: '/login/1.0/get-client-ip',
} as const;

// Minimal schemas: only the fields the adapter reads, so harmless API additions never break parsing.

/** Step 1 (TOTP): the view token and session id. */
export const loginResponseSchema = z.object({
  data: z.object({
    token: z.string().min(1),
    sid: z.string().min(1),
  }),
});

/** Step 2 (MPIN): the trade token, its session id and the data centre's base URL. */
export const validateResponseSchema = z.object({
  data: z.object({
    token: z.string().min(1),
    sid: z.string().min(1),
    // The SDK falls back to the login host when a response has no baseUrl; so do we.
    baseUrl: z.string().optional(),
    dataCenter: z.string().optional(),
  }),
});

/**
 * Every error dialect the Trade API is known to use (research §5.2):
 * `{ error: [{ code, message }] }`, `{ stCode, errMsg, stat|status }` and `{ stat, message }`.
 */
export const errorBodySchema = z.object({
  error: z
    .array(z.object({ code: z.union([z.string(), z.number()]).optional(), message: z.string().optional() }).loose())
    .optional(),
  stCode: z.union([z.number(), z.string()]).optional(),
  errMsg: z.string().optional(),
  message: z.string().optional(),
  stat: z.string().optional(),
  status: z.string().optional(),
  data: z.unknown().optional(),
}).loose();

export type KotakErrorBody = z.infer<typeof errorBodySchema>;

/** `stCode` of an invalid or expired session ("invalid session token"). */
export const INVALID_SESSION_ST_CODE = 100022;
