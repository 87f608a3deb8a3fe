/**
 * A value that must never be printed. Implemented by `Secret` in `@tokens/core`; the type lives
 * here so contracts can name it without a runtime import.
 */
export interface SecretValue {
  /** The only way to read the value. Grep for `.reveal()` to audit every use. */
  reveal(): string;
  toString(): string;
  toJSON(): string;
}
