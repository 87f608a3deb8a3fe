import type { SecretValue } from '@tokens/core';

/** A credential given either as a plain string or as a self-redacting {@link SecretValue}. */
export type SecretInput = string | SecretValue;

/** True for anything shaped like a `SecretValue` (duck-typed, so two installs of core interoperate). */
export function isSecretValue(value: unknown): value is SecretValue {
  return (
    value != null &&
    typeof value === 'object' &&
    typeof (value as { reveal?: unknown }).reveal === 'function'
  );
}

/** The plain string behind a {@link SecretInput}. Grep for `revealInput(` to audit every use. */
export function revealInput(value: SecretInput): string {
  return typeof value === 'string' ? value : value.reveal();
}

/** Reveals every non-empty secret in a list, skipping `undefined`. */
export function revealAll(values: readonly (SecretInput | undefined)[] | undefined): string[] {
  const out: string[] = [];
  for (const v of values ?? []) {
    if (v === undefined) continue;
    const raw = revealInput(v);
    if (raw.length > 0) out.push(raw);
  }
  return out;
}
