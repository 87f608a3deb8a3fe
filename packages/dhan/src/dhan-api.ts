import { z } from 'zod';

// Minimal schemas: only the fields the adapter reads, so harmless additions never break parsing.

/**
 * generateAccessToken, consumeApp-consent and RenewToken. Dhan's docs name the field
 * `accessToken`; one community script reads `token` from RenewToken, so both are accepted.
 */
export const dhanTokenResponseSchema = z
  .object({
    accessToken: z.string().min(1).optional(),
    token: z.string().min(1).optional(),
    /** ISO local time without an offset, e.g. "2026-01-01T00:00:00.000" (IST). */
    expiryTime: z.string().optional(),
  })
  .refine((body) => body.accessToken !== undefined || body.token !== undefined, {
    message: 'expected an `accessToken` (or `token`) field',
    path: ['accessToken'],
  });

export type DhanTokenResponse = z.infer<typeof dhanTokenResponseSchema>;

/** `GET /v2/profile`, the validity probe. */
export const dhanProfileSchema = z.object({
  dhanClientId: z.string().optional(),
  /** "DD/MM/YYYY HH:mm" in IST. */
  tokenValidity: z.string().optional(),
});

/** `POST /app/generate-consent`. The SDK checks `status == "success"`. */
export const dhanConsentSchema = z.object({
  consentAppId: z.string().min(1),
  status: z.literal('success'),
});

/** Trading API error envelope: `{"errorType":"…","errorCode":"DH-901","errorMessage":"…"}`. */
export const dhanErrorEnvelopeSchema = z.object({
  errorType: z.string().optional(),
  errorCode: z.union([z.string(), z.number()]).optional(),
  errorMessage: z.string().optional(),
});
